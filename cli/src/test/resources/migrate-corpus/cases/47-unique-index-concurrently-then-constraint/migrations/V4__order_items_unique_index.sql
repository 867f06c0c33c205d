CREATE UNIQUE INDEX CONCURRENTLY order_items_order_product_key ON order_items (order_id, product_id);
