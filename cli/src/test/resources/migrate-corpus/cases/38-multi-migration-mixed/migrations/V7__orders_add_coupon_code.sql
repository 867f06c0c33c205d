ALTER TABLE orders ADD COLUMN coupon_code varchar(20);
