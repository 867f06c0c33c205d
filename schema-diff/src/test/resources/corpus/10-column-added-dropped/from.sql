CREATE SCHEMA app;
CREATE TABLE app.product (
    id       integer PRIMARY KEY,
    name     text NOT NULL,
    obsolete text
);
INSERT INTO app.product VALUES (1, 'pen', 'x'), (2, 'ink', NULL);
CREATE TABLE public.tag (
    id integer PRIMARY KEY
);
