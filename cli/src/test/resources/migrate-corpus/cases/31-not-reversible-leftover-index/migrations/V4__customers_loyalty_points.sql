ALTER TABLE customers ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0;
CREATE INDEX customers_country_idx ON customers (country);
