CREATE SCHEMA app;
CREATE TABLE app.parent (
    id   integer PRIMARY KEY,
    name text
);
CREATE TABLE app.child (
    id        integer PRIMARY KEY,
    parent_id integer NOT NULL REFERENCES app.parent (id) ON DELETE CASCADE,
    note      varchar(20)
);
CREATE INDEX child_parent_idx ON app.child (parent_id);
INSERT INTO app.parent VALUES (1, 'p');
INSERT INTO app.child VALUES (10, 1, 'c');
