ALTER TABLE products ADD COLUMN display_order bigserial;
