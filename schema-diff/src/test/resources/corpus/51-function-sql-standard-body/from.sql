CREATE SCHEMA app;
CREATE TABLE app.item (
    id  integer PRIMARY KEY,
    qty integer NOT NULL
);
INSERT INTO app.item VALUES (1, 5), (2, 7);
-- SQL-standard bodies (PG14+) are parsed at creation and record dependencies
-- on the columns they use.
CREATE FUNCTION app.total_qty() RETURNS bigint
    LANGUAGE sql STABLE
    BEGIN ATOMIC
        SELECT sum(qty) FROM app.item;
    END;
CREATE FUNCTION app.double_it(x integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    RETURN x * 2;
