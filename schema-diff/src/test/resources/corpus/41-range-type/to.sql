-- User-defined range types added (one with subtype_diff, one over a
-- collatable subtype with an explicit collation) and used by columns, incl.
-- a gist exclusion constraint over the new range type.
CREATE SCHEMA app;
CREATE TYPE app.floatrange AS RANGE (
    subtype = float8,
    subtype_diff = float8mi
);
CREATE TYPE app.textrange AS RANGE (subtype = text, collation = "C");
CREATE TABLE app.shift (
    id    integer PRIMARY KEY,
    hours numrange,
    load  app.floatrange,
    names app.textrange,
    CONSTRAINT shift_load_excl EXCLUDE USING gist (load WITH &&)
);
INSERT INTO app.shift VALUES (1, '[1,2)', '[0.5,1.5)', '[a,m)');
