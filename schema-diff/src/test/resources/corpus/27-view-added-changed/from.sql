CREATE SCHEMA app;
CREATE TABLE app.product (
    id     integer PRIMARY KEY,
    name   text NOT NULL,
    price  numeric(10,2) NOT NULL,
    active boolean NOT NULL DEFAULT true
);
INSERT INTO app.product VALUES (1, 'pen', 1.50, true), (2, 'ink', 9.00, false);
CREATE VIEW app.active_product AS
    SELECT id, name FROM app.product WHERE active;
CREATE VIEW app.old_report AS
    SELECT count(*) AS n FROM app.product;
CREATE VIEW public.cheap AS
    SELECT id, name, price FROM app.product WHERE price < 5;
