DELETE FROM countries WHERE code = 'UA';
ALTER TABLE customers DROP COLUMN loyalty_tier;
