CREATE SCHEMA app;
CREATE TABLE app.customer (
    id      integer PRIMARY KEY,
    email   text,
    country text,
    city    text
);
CREATE INDEX customer_country_idx ON app.customer (country);
CREATE INDEX customer_geo_idx ON app.customer (country);
CREATE TABLE public.tag (id integer, name text);
CREATE INDEX tag_name_idx ON public.tag (name);
INSERT INTO app.customer VALUES (1, 'a@x', 'de', 'Berlin'), (2, 'b@x', 'fr', 'Paris');
