ALTER TABLE customers ADD COLUMN IF NOT EXISTS locale text;
CREATE INDEX IF NOT EXISTS customers_country_idx ON customers (country);
