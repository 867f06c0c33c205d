CREATE SCHEMA app;
CREATE TABLE app.customer (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
CREATE INDEX customer_name_idx ON app.customer (name);
CREATE TABLE public.tmp_import (line text);
INSERT INTO app.customer VALUES (1, 'acme'), (2, 'globex');
