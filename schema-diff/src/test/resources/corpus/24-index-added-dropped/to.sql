-- Index dropped (customer_country_idx), unique index added, index with the
-- same name but different columns/order (customer_geo_idx), index dropped in
-- public and a unique index added there.
CREATE SCHEMA app;
CREATE TABLE app.customer (
    id      integer PRIMARY KEY,
    email   text,
    country text,
    city    text
);
CREATE UNIQUE INDEX customer_email_key ON app.customer (email);
CREATE INDEX customer_geo_idx ON app.customer (country, city DESC NULLS LAST);
CREATE TABLE public.tag (id integer, name text);
CREATE UNIQUE INDEX tag_id_key ON public.tag (id);
INSERT INTO app.customer VALUES (1, 'a@x', 'de', 'Berlin'), (2, 'b@x', 'fr', 'Paris');
