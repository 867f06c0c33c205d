-- pgcrypto dropped, pg_trgm added in schema app and used by a GIN trigram
-- index, hstore (and the column using it) unchanged.
CREATE SCHEMA app;
CREATE EXTENSION hstore WITH SCHEMA app;
CREATE EXTENSION pg_trgm WITH SCHEMA app;
CREATE TABLE app.item (
    id    integer PRIMARY KEY,
    attrs app.hstore,
    name  text
);
CREATE INDEX item_name_trgm_idx ON app.item USING gin (name app.gin_trgm_ops);
INSERT INTO app.item VALUES (1, 'a=>1');
