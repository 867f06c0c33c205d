-- from.sql and to.sql are identical: many kinds of objects at once; must compare equal.
CREATE SCHEMA app;
CREATE EXTENSION citext WITH SCHEMA public;
CREATE COLLATION app.bytes FROM "C";
CREATE TYPE app.status AS ENUM ('new', 'active', 'closed');
CREATE DOMAIN app.qty AS integer DEFAULT 1 CHECK (VALUE > 0);
CREATE TYPE app.money_pair AS (amount numeric(12,2), currency char(3));
CREATE SEQUENCE app.ref_seq INCREMENT BY 10 CACHE 5;
CREATE TABLE app.customer (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email  public.citext NOT NULL UNIQUE,
    code   text COLLATE app.bytes,
    status app.status NOT NULL DEFAULT 'new',
    ref    bigint DEFAULT nextval('app.ref_seq')
) WITH (fillfactor = 80);
CREATE TABLE app.orders (
    id          bigint NOT NULL,
    customer_id bigint REFERENCES app.customer ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    qty         app.qty, price numeric(10,2) CHECK (price >= 0),
    total       numeric GENERATED ALWAYS AS (qty * price) STORED,
    placed      daterange, EXCLUDE USING gist (placed WITH &&), PRIMARY KEY (id)
);
CREATE TABLE public.events (id int, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE public.events_a PARTITION OF public.events FOR VALUES IN ('a');
CREATE INDEX orders_cust_idx ON app.orders (customer_id) INCLUDE (qty) WHERE qty > 1;
CREATE INDEX customer_lower_idx ON app.customer (lower(code));
CREATE VIEW app.order_totals AS SELECT customer_id, sum(total) AS s FROM app.orders GROUP BY 1;
CREATE MATERIALIZED VIEW app.top AS SELECT * FROM app.order_totals WHERE s > 100;
CREATE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$;
CREATE FUNCTION app.f(x text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT x $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW
    WHEN (OLD.qty IS DISTINCT FROM NEW.qty) EXECUTE FUNCTION app.touch();
CREATE PROCEDURE app.noop() LANGUAGE sql AS $$ SELECT 1 $$;
ALTER TABLE app.customer ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_self ON app.customer FOR SELECT USING (status <> 'closed');
COMMENT ON TABLE app.customer IS 'customers';
INSERT INTO app.customer (email, code) VALUES ('A@x.org', 'a1');
