CREATE SCHEMA app;
CREATE TABLE app.account (
    id    integer PRIMARY KEY,
    email text NOT NULL UNIQUE
);
INSERT INTO app.account VALUES (1, 'Ann@Example.org'), (2, 'bob@example.org');
