ALTER TABLE order_items ADD CONSTRAINT order_items_order_product_key UNIQUE (order_id, product_id);
