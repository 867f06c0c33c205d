CREATE SCHEMA app;
CREATE TYPE app.address AS (
    street text,
    city   text
);
CREATE TYPE app.unused_pair AS (a integer, b integer);
CREATE FUNCTION app.make_address(s text, c text) RETURNS app.address
    LANGUAGE sql IMMUTABLE AS $$ SELECT ROW(s, c)::app.address $$;
