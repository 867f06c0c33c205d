-- Same columns, constraints and indexes as from.sql; only the physical column
-- order differs. Column order is insignificant by default: must compare equal.
CREATE SCHEMA app;
CREATE TABLE app.person (
    score      integer DEFAULT 0 CHECK (score >= 0),
    born_on    date,
    last_name  text NOT NULL,
    id         integer PRIMARY KEY,
    first_name text NOT NULL
);
CREATE INDEX person_name_idx ON app.person (last_name, first_name);
CREATE TABLE public.pair (b text, a integer);
