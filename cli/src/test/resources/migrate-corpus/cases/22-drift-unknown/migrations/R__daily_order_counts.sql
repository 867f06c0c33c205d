-- The same definition as on the base: a repeatable migration that changes nothing.
CREATE OR REPLACE VIEW daily_order_counts AS
SELECT date_trunc('day', created_at) AS day, status, count(*) AS order_count
FROM orders
GROUP BY 1, 2;
