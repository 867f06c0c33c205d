-- Bodies changed (sql and plpgsql), VOLATILE -> STABLE, STRICT/PARALLEL SAFE/
-- COST changed, return type changed (integer -> bigint: needs DROP + CREATE),
-- a function dropped, a plpgsql function added.
CREATE SCHEMA app;
CREATE TABLE app.item (id integer PRIMARY KEY, price numeric NOT NULL);
CREATE FUNCTION app.with_tax(p numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$ SELECT round(p * 1.07, 2) $$;
CREATE FUNCTION app.item_count() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT count(*) FROM app.item $$;
CREATE FUNCTION app.version_no() RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT 2::bigint $$;
CREATE FUNCTION app.max_price() RETURNS numeric
    LANGUAGE plpgsql STABLE AS $$
DECLARE m numeric;
BEGIN
    SELECT max(price) INTO m FROM app.item;
    RETURN coalesce(m, 0);
END $$;
CREATE FUNCTION public.half(x integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 5
    AS $$ BEGIN RETURN x / 2; END $$;
