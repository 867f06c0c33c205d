-- Tricky: columns used by views change type (integer -> bigint,
-- varchar(20) -> text). PostgreSQL refuses ALTER COLUMN TYPE while a view
-- uses the column, so the views must be dropped and recreated around it.
CREATE SCHEMA app;
CREATE TABLE app.sale (
    id     integer PRIMARY KEY,
    amount bigint NOT NULL,
    region text NOT NULL
);
INSERT INTO app.sale VALUES (1, 100, 'north'), (2, 250, 'south');
CREATE VIEW app.sale_by_region AS
    SELECT region, sum(amount) AS total FROM app.sale GROUP BY region;
CREATE VIEW app.big_sale AS
    SELECT id, amount FROM app.sale WHERE amount > 200;
