CREATE SCHEMA app;
CREATE TABLE app.sale (
    id     integer PRIMARY KEY,
    region text NOT NULL,
    amount numeric NOT NULL
);
INSERT INTO app.sale VALUES (1, 'n', 10), (2, 's', 20), (3, 'n', 5);
CREATE MATERIALIZED VIEW app.sale_summary AS
    SELECT region, sum(amount) AS total FROM app.sale GROUP BY region;
CREATE UNIQUE INDEX sale_summary_region_idx ON app.sale_summary (region);
CREATE MATERIALIZED VIEW app.sale_old AS SELECT id FROM app.sale;
