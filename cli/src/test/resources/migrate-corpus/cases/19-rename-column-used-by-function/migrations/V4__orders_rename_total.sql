ALTER TABLE orders RENAME COLUMN total TO amount;
