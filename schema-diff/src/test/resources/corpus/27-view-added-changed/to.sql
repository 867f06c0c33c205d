-- active_product: WHERE changed and a column appended (CREATE OR REPLACE is
-- enough); public.cheap: a column removed (needs DROP + CREATE) and WITH
-- CHECK OPTION added; old_report dropped; expensive added.
CREATE SCHEMA app;
CREATE TABLE app.product (
    id     integer PRIMARY KEY,
    name   text NOT NULL,
    price  numeric(10,2) NOT NULL,
    active boolean NOT NULL DEFAULT true
);
INSERT INTO app.product VALUES (1, 'pen', 1.50, true), (2, 'ink', 9.00, false);
CREATE VIEW app.active_product AS
    SELECT id, name, price FROM app.product WHERE active AND price > 0;
CREATE VIEW app.expensive AS
    SELECT id, name FROM app.product WHERE price >= 5 ORDER BY price DESC;
CREATE VIEW public.cheap AS
    SELECT id, price FROM app.product WHERE price < 5
    WITH CASCADED CHECK OPTION;
