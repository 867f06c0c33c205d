CREATE SCHEMA app;
CREATE TABLE app.item (id integer PRIMARY KEY, price numeric NOT NULL);
CREATE FUNCTION app.with_tax(p numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$ SELECT p * 1.19 $$;
CREATE FUNCTION app.item_count() RETURNS bigint
    LANGUAGE sql VOLATILE AS $$ SELECT count(*) FROM app.item $$;
CREATE FUNCTION app.version_no() RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
CREATE FUNCTION app.obsolete() RETURNS void
    LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE FUNCTION public.half(x integer) RETURNS integer
    LANGUAGE plpgsql AS $$ BEGIN RETURN x / 2; END $$;
