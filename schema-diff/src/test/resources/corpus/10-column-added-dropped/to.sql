-- Column "obsolete" dropped; on a NON-EMPTY table: a NOT NULL column with a
-- default and a nullable column added; on an empty table a NOT NULL column
-- without default added.
CREATE SCHEMA app;
CREATE TABLE app.product (
    id       integer PRIMARY KEY,
    name     text NOT NULL,
    status   text NOT NULL DEFAULT 'active',
    weight_g integer
);
INSERT INTO app.product (id, name) VALUES (1, 'pen'), (2, 'ink');
CREATE TABLE public.tag (
    id    integer PRIMARY KEY,
    label text NOT NULL
);
