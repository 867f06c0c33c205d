-- fillfactor changed, parameters added to a plain table, parameters removed.
CREATE SCHEMA app;
CREATE TABLE app.hot_row (
    id      integer PRIMARY KEY,
    counter integer NOT NULL DEFAULT 0
) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05);
CREATE TABLE app.plain (
    id integer PRIMARY KEY
) WITH (fillfactor = 70);
CREATE TABLE public.tuned (
    id integer PRIMARY KEY
);
