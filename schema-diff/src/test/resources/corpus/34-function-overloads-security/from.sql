CREATE SCHEMA app;
CREATE FUNCTION app.fmt(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT 'int:' || v $$;
CREATE FUNCTION app.fmt(v text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT 'text:' || v $$;
CREATE FUNCTION app.secret_count() RETURNS integer
    LANGUAGE sql STABLE AS $$ SELECT 42 $$;
CREATE FUNCTION app.greet(name text, greeting text DEFAULT 'hello') RETURNS text
    LANGUAGE sql AS $$ SELECT greeting || ' ' || name $$;
