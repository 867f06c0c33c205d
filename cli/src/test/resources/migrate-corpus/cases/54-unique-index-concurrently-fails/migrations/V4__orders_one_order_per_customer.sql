-- 1,000,000 orders over 10,000 customers: fails on duplicates. Being CONCURRENTLY, it leaves an INVALID
-- index orders_customer_id_key behind (no transaction to roll back).
CREATE UNIQUE INDEX CONCURRENTLY orders_customer_id_key ON orders (customer_id);
