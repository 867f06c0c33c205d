-- FK and CHECK added NOT VALID (existing rows violate them);
-- stock_qty_check goes from NOT VALID to validated (data satisfies it).
CREATE SCHEMA app;
CREATE TABLE app.parent (id integer PRIMARY KEY);
CREATE TABLE app.child (
    id        integer PRIMARY KEY,
    parent_id integer,
    qty       integer
);
CREATE TABLE app.stock (
    id  integer PRIMARY KEY,
    qty integer,
    CONSTRAINT stock_qty_check CHECK (qty >= 0)
);
INSERT INTO app.parent VALUES (1);
INSERT INTO app.child VALUES (1, 1, 5), (2, 99, -1);
INSERT INTO app.stock VALUES (1, 3);
ALTER TABLE app.child ADD CONSTRAINT child_parent_fk
    FOREIGN KEY (parent_id) REFERENCES app.parent (id) NOT VALID;
ALTER TABLE app.child ADD CONSTRAINT child_qty_check CHECK (qty >= 0) NOT VALID;
