CREATE SCHEMA app;
CREATE TABLE app.customer (
    id     integer NOT NULL,
    region text    NOT NULL,
    name   text
) PARTITION BY LIST (region);
CREATE TABLE app.customer_eu PARTITION OF app.customer FOR VALUES IN ('de', 'fr');
INSERT INTO app.customer VALUES (1, 'de', 'a'), (2, 'fr', 'b');
