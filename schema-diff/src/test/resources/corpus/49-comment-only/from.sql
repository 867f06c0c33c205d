-- Only comments differ from to.sql: equal unless comments are compared.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE TABLE app.customer (
    id   integer PRIMARY KEY,
    name text NOT NULL,
    vip  boolean DEFAULT false
);
COMMENT ON TABLE app.customer IS 'Customers';
COMMENT ON COLUMN app.customer.name IS 'legal name';
COMMENT ON COLUMN app.customer.vip IS 'to be removed';
CREATE FUNCTION app.answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;
