-- Same columns, constraints and indexes as to.sql; only the physical column
-- order differs. Column order is insignificant by default: must compare equal.
CREATE SCHEMA app;
CREATE TABLE app.person (
    id         integer PRIMARY KEY,
    first_name text NOT NULL,
    last_name  text NOT NULL,
    born_on    date,
    score      integer DEFAULT 0 CHECK (score >= 0)
);
CREATE INDEX person_name_idx ON app.person (last_name, first_name);
CREATE TABLE public.pair (a integer, b text);
