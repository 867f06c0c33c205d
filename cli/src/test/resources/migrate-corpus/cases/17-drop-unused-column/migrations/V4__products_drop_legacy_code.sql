ALTER TABLE products DROP COLUMN legacy_code;
