-- Only comments differ from from.sql: equal unless comments are compared.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE TABLE app.customer (
    id   integer PRIMARY KEY,
    name text NOT NULL,
    vip  boolean DEFAULT false
);
COMMENT ON TABLE app.customer IS 'All customers, incl. prospects';
COMMENT ON COLUMN app.customer.id IS 'surrogate key';
COMMENT ON COLUMN app.customer.name IS 'legal name';
CREATE FUNCTION app.answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;
COMMENT ON FUNCTION app.answer() IS 'the answer';
