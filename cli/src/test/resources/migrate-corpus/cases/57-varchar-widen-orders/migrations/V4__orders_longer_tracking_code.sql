ALTER TABLE orders ALTER COLUMN tracking_code TYPE varchar(64);
