CREATE SCHEMA app;
CREATE TABLE app.booking (
    id     integer PRIMARY KEY,
    room   integer NOT NULL,
    during daterange NOT NULL
);
CREATE TABLE app.maintenance (
    id     integer PRIMARY KEY,
    window_ int4range NOT NULL,
    CONSTRAINT maintenance_no_overlap EXCLUDE USING gist (window_ WITH &&)
);
INSERT INTO app.booking VALUES (1, 1, '[2024-01-01,2024-01-05)'),
                               (2, 1, '[2024-01-05,2024-01-09)');
