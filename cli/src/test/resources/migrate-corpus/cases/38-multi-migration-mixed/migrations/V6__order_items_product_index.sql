CREATE INDEX order_items_product_id_idx ON order_items (product_id);
