-- Exclusion constraint (gist, && on a range column; no extension needed)
-- added to a non-empty table, with a WHERE predicate; another one dropped.
CREATE SCHEMA app;
CREATE TABLE app.booking (
    id     integer PRIMARY KEY,
    room   integer NOT NULL,
    during daterange NOT NULL,
    CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&)
        WHERE (room > 0)
);
CREATE TABLE app.maintenance (
    id     integer PRIMARY KEY,
    window_ int4range NOT NULL
);
INSERT INTO app.booking VALUES (1, 1, '[2024-01-01,2024-01-05)'),
                               (2, 1, '[2024-01-05,2024-01-09)');
