-- Without CASCADE this fails: the view daily_order_counts depends on orders.status.
ALTER TABLE orders DROP COLUMN status CASCADE;
