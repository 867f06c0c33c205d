-- Tricky: item.qty changes type (integer -> bigint) while total_qty() (text
-- unchanged) depends on the column through its SQL-standard body, which
-- PostgreSQL refuses ("cannot alter type of a column used by a function"):
-- the function must be dropped and recreated around the ALTER. double_it's
-- RETURN body changes; a BEGIN ATOMIC procedure is added.
CREATE SCHEMA app;
CREATE TABLE app.item (
    id  integer PRIMARY KEY,
    qty bigint NOT NULL
);
INSERT INTO app.item VALUES (1, 5), (2, 7);
CREATE FUNCTION app.total_qty() RETURNS bigint
    LANGUAGE sql STABLE
    BEGIN ATOMIC
        SELECT sum(qty) FROM app.item;
    END;
CREATE FUNCTION app.double_it(x integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    RETURN x + x;
CREATE PROCEDURE app.reset_qty()
    LANGUAGE sql
    BEGIN ATOMIC
        UPDATE app.item SET qty = 0;
    END;
