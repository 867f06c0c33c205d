CREATE SCHEMA app;
CREATE TABLE app.vehicle (
    id    integer NOT NULL,
    maker text
);
CREATE TABLE app.car (
    doors integer
) INHERITS (app.vehicle);
CREATE TABLE app.truck (
    id       integer NOT NULL,
    maker    text,
    payload  numeric
);
INSERT INTO app.car VALUES (1, 'vw', 4);
INSERT INTO app.truck VALUES (2, 'man', 12.5);
