-- State B: schema "legacy" and everything in it (table, view, sequence,
-- function) is gone; schema "app" is unchanged.
CREATE SCHEMA app;
CREATE TABLE app.item (id integer PRIMARY KEY, label text);
INSERT INTO app.item VALUES (1, 'kept');
