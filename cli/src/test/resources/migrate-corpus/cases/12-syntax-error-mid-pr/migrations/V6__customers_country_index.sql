CREATE INDEX customers_country_idx ON customers (country);
