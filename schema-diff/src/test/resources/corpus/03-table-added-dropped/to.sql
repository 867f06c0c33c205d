-- app.obsolete_log and public.scratch dropped; app.invoice and public.note added.
CREATE SCHEMA app;
CREATE TABLE app.customer (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO app.customer VALUES (1, 'acme');
CREATE TABLE app.invoice (
    id          bigint PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES app.customer (id),
    amount      numeric(12,2) NOT NULL DEFAULT 0,
    issued_on   date
);
CREATE TABLE public.note (id integer PRIMARY KEY, body text);
