-- Forgets DROP INDEX customers_country_idx.
ALTER TABLE customers DROP COLUMN loyalty_points;
