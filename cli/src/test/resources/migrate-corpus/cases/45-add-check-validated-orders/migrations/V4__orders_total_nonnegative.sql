ALTER TABLE orders ADD CONSTRAINT orders_total_nonnegative CHECK (total >= 0);
