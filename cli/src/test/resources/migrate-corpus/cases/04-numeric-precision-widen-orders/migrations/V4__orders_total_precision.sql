-- Totals above 9,999,999,999.99 are coming (B2B contracts).
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);
