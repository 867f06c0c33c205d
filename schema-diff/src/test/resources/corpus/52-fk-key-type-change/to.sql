-- Type change on both ends of a foreign key (integer -> bigint on the
-- referenced primary key and on the indexed referencing column); the FK,
-- the PK and the index must survive (PostgreSQL rebuilds them on ALTER).
CREATE SCHEMA app;
CREATE TABLE app.parent (
    id   bigint PRIMARY KEY,
    name text
);
CREATE TABLE app.child (
    id        integer PRIMARY KEY,
    parent_id bigint NOT NULL REFERENCES app.parent (id) ON DELETE CASCADE,
    note      varchar(20)
);
CREATE INDEX child_parent_idx ON app.child (parent_id);
INSERT INTO app.parent VALUES (1, 'p');
INSERT INTO app.child VALUES (10, 1, 'c');
