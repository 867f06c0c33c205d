ALTER TABLE orders VALIDATE CONSTRAINT orders_channel_not_null;
