-- Composite type: attribute added (zip) and attribute type changed
-- (city text -> varchar(80)); a composite type dropped; a new one added and
-- used as a column type of a new table. The function body changes with it.
CREATE SCHEMA app;
CREATE TYPE app.address AS (
    street text,
    city   varchar(80),
    zip    varchar(10)
);
CREATE TYPE public.geo_point AS (lat double precision, lon double precision);
CREATE FUNCTION app.make_address(s text, c text) RETURNS app.address
    LANGUAGE sql IMMUTABLE AS $$ SELECT ROW(s, c, NULL)::app.address $$;
CREATE TABLE app.site (
    id  integer PRIMARY KEY,
    loc public.geo_point
);
INSERT INTO app.site VALUES (1, ROW(52.5, 13.4));
