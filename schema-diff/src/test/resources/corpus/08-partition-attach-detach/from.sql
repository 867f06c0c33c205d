CREATE SCHEMA app;
CREATE TABLE app.orders (
    id       bigint  NOT NULL,
    order_no integer NOT NULL,
    note     text
) PARTITION BY RANGE (order_no);
CREATE TABLE app.orders_p1 PARTITION OF app.orders FOR VALUES FROM (0) TO (100);
CREATE TABLE app.orders_p2 PARTITION OF app.orders FOR VALUES FROM (100) TO (200);
-- A stand-alone table with the same shape, not (yet) a partition.
CREATE TABLE app.orders_p3 (
    id       bigint  NOT NULL,
    order_no integer NOT NULL,
    note     text
);
INSERT INTO app.orders VALUES (1, 5, 'a'), (2, 150, 'b');
INSERT INTO app.orders_p3 VALUES (3, 250, 'c');
