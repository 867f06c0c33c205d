CREATE SCHEMA app;
CREATE TABLE app.sale (
    id     integer PRIMARY KEY,
    amount integer NOT NULL,
    region varchar(20) NOT NULL
);
INSERT INTO app.sale VALUES (1, 100, 'north'), (2, 250, 'south');
CREATE VIEW app.sale_by_region AS
    SELECT region, sum(amount) AS total FROM app.sale GROUP BY region;
CREATE VIEW app.big_sale AS
    SELECT id, amount FROM app.sale WHERE amount > 200;
