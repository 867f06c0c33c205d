-- Extension citext added and used by columns: an existing text column (with
-- a UNIQUE constraint and data) becomes citext, and a new table uses citext.
-- The extension must be created before the columns are altered.
CREATE SCHEMA app;
CREATE EXTENSION citext;
CREATE TABLE app.account (
    id    integer PRIMARY KEY,
    email public.citext NOT NULL UNIQUE
);
CREATE TABLE app.alias (
    account_id integer REFERENCES app.account (id),
    alias      public.citext PRIMARY KEY
);
INSERT INTO app.account VALUES (1, 'Ann@Example.org'), (2, 'bob@example.org');
