-- List partitions added (incl. DEFAULT) and an index on the partitioned parent
-- (which PostgreSQL propagates to every partition).
CREATE SCHEMA app;
CREATE TABLE app.customer (
    id     integer NOT NULL,
    region text    NOT NULL,
    name   text
) PARTITION BY LIST (region);
CREATE TABLE app.customer_eu PARTITION OF app.customer FOR VALUES IN ('de', 'fr');
CREATE TABLE app.customer_na PARTITION OF app.customer FOR VALUES IN ('us', 'ca');
CREATE TABLE app.customer_rest PARTITION OF app.customer DEFAULT;
CREATE INDEX customer_name_idx ON app.customer (name);
INSERT INTO app.customer VALUES (1, 'de', 'a'), (2, 'fr', 'b');
