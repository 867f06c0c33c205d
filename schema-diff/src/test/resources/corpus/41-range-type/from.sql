CREATE SCHEMA app;
CREATE TABLE app.shift (
    id    integer PRIMARY KEY,
    hours numrange
);
