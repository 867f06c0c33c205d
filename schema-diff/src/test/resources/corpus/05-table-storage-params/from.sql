CREATE SCHEMA app;
CREATE TABLE app.hot_row (
    id      integer PRIMARY KEY,
    counter integer NOT NULL DEFAULT 0
) WITH (fillfactor = 70);
CREATE TABLE app.plain (
    id integer PRIMARY KEY
);
CREATE TABLE public.tuned (
    id integer PRIMARY KEY
) WITH (autovacuum_enabled = false, fillfactor = 80);
