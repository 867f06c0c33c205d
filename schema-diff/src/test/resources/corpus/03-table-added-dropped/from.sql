CREATE SCHEMA app;
CREATE TABLE app.customer (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE app.obsolete_log (
    id      bigint PRIMARY KEY,
    message text
);
INSERT INTO app.customer VALUES (1, 'acme');
INSERT INTO app.obsolete_log VALUES (1, 'old');
CREATE TABLE public.scratch (k text PRIMARY KEY, v text);
