CREATE SCHEMA app;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION hstore WITH SCHEMA app;
CREATE TABLE app.item (
    id    integer PRIMARY KEY,
    attrs app.hstore
);
INSERT INTO app.item VALUES (1, 'a=>1');
