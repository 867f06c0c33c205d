-- CREATE COLLATION: a nondeterministic ICU collation (case-insensitive) and a
-- libc collation copied from "C"; one collation dropped; a column switched to
-- the new ICU collation (and indexed with it).
CREATE SCHEMA app;
CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION public.bytewise FROM "C";
CREATE TABLE app.tag (
    id   integer PRIMARY KEY,
    name text COLLATE app.ci,
    code text COLLATE public.bytewise
);
CREATE INDEX tag_name_idx ON app.tag (name);
INSERT INTO app.tag VALUES (1, 'Alpha'), (2, 'beta');
