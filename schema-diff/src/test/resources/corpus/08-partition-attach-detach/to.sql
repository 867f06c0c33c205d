-- orders_p2 detached (now a plain table), orders_p3 attached.
CREATE SCHEMA app;
CREATE TABLE app.orders (
    id       bigint  NOT NULL,
    order_no integer NOT NULL,
    note     text
) PARTITION BY RANGE (order_no);
CREATE TABLE app.orders_p1 PARTITION OF app.orders FOR VALUES FROM (0) TO (100);
CREATE TABLE app.orders_p2 (
    id       bigint  NOT NULL,
    order_no integer NOT NULL,
    note     text
);
CREATE TABLE app.orders_p3 PARTITION OF app.orders FOR VALUES FROM (200) TO (300);
INSERT INTO app.orders VALUES (1, 5, 'a'), (3, 250, 'c');
INSERT INTO app.orders_p2 VALUES (2, 150, 'b');
