ALTER TABLE order_items
    ADD CONSTRAINT order_items_order_product_key UNIQUE USING INDEX order_items_order_product_key;
