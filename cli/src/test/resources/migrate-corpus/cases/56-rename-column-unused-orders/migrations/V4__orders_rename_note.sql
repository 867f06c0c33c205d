ALTER TABLE orders RENAME COLUMN note TO customer_note;
