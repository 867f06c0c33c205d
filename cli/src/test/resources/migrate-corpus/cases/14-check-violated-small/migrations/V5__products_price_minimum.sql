-- Prices start at 4.99: existing rows violate this one.
ALTER TABLE products ADD CONSTRAINT products_price_minimum CHECK (price >= 10);
