CREATE SCHEMA app;
CREATE COLLATION app.old_c FROM "C";
CREATE TABLE app.tag (
    id   integer PRIMARY KEY,
    name text COLLATE "C"
);
INSERT INTO app.tag VALUES (1, 'Alpha'), (2, 'beta');
