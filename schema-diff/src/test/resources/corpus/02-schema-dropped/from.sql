-- State A: schema "legacy" holds a table, a view, a sequence and a function.
CREATE SCHEMA app;
CREATE TABLE app.item (id integer PRIMARY KEY, label text);
INSERT INTO app.item VALUES (1, 'kept');

CREATE SCHEMA legacy;
CREATE SEQUENCE legacy.old_seq;
CREATE TABLE legacy.old_item (
    id    integer PRIMARY KEY DEFAULT nextval('legacy.old_seq'),
    label text
);
INSERT INTO legacy.old_item (label) VALUES ('x'), ('y');
CREATE VIEW legacy.old_item_labels AS SELECT label FROM legacy.old_item;
CREATE FUNCTION legacy.old_count() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT count(*) FROM legacy.old_item $$;
