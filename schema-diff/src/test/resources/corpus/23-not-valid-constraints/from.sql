-- The data violates the constraints that to.sql adds as NOT VALID, so a diff
-- that adds them without NOT VALID cannot be applied.
CREATE SCHEMA app;
CREATE TABLE app.parent (id integer PRIMARY KEY);
CREATE TABLE app.child (
    id        integer PRIMARY KEY,
    parent_id integer,
    qty       integer
);
CREATE TABLE app.stock (
    id  integer PRIMARY KEY,
    qty integer
);
INSERT INTO app.parent VALUES (1);
INSERT INTO app.child VALUES (1, 1, 5), (2, 99, -1);
INSERT INTO app.stock VALUES (1, 3);
ALTER TABLE app.stock ADD CONSTRAINT stock_qty_check CHECK (qty >= 0) NOT VALID;
