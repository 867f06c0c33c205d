-- Stored generated column added to a non-empty table; the generation
-- expression of box.area changed (PG15 has no ALTER ... SET EXPRESSION, so
-- this needs drop + re-add); generated column box.legacy dropped.
CREATE SCHEMA app;
CREATE TABLE app.order_line (
    id    integer PRIMARY KEY,
    qty   integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (qty * price) STORED
);
CREATE TABLE app.box (
    id     integer PRIMARY KEY,
    w      integer NOT NULL,
    h      integer NOT NULL,
    area   integer GENERATED ALWAYS AS (w * h * 2) STORED
);
INSERT INTO app.order_line VALUES (1, 2, 3.50);
INSERT INTO app.box (id, w, h) VALUES (1, 2, 3);
