-- Adds a revenue column at the end of the view (allowed by CREATE OR REPLACE VIEW).
CREATE OR REPLACE VIEW daily_order_counts AS
SELECT date_trunc('day', created_at) AS day, status, count(*) AS order_count, sum(total) AS revenue
FROM orders
GROUP BY 1, 2;
