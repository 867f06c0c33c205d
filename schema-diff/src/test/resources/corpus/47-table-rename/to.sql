-- app.customer renamed to app.client (with its PK and index names following)
-- and public.tmp_import renamed to public.import_line. A schema diff sees
-- dropped + added tables; the pair must still be applicable.
CREATE SCHEMA app;
CREATE TABLE app.client (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
CREATE INDEX client_name_idx ON app.client (name);
CREATE TABLE public.import_line (line text);
INSERT INTO app.client VALUES (1, 'acme'), (2, 'globex');
