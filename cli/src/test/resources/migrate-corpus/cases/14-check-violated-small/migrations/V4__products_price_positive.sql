ALTER TABLE products ADD CONSTRAINT products_price_positive CHECK (price > 0);
