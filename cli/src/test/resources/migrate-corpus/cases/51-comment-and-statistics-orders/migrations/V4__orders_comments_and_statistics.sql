COMMENT ON TABLE orders IS 'One row per order.';
COMMENT ON COLUMN orders.note IS 'Free text from the customer, shown to the packer.';
ALTER TABLE orders ALTER COLUMN customer_id SET STATISTICS 500;
