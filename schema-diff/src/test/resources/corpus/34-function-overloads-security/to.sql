-- Overloads: fmt(integer) unchanged, fmt(text) body changed, fmt(integer,
-- integer) added; secret_count becomes SECURITY DEFINER with a pinned
-- search_path; greet(text, text) dropped and a differently-typed greet added.
CREATE SCHEMA app;
CREATE FUNCTION app.fmt(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT 'int:' || v $$;
CREATE FUNCTION app.fmt(v text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT 'txt:' || upper(v) $$;
CREATE FUNCTION app.fmt(a integer, b integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT a || '/' || b $$;
CREATE FUNCTION app.secret_count() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app
    AS $$ SELECT 42 $$;
CREATE FUNCTION app.greet(name varchar, times integer) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RETURN repeat('hi ', times) || name; END $$;
