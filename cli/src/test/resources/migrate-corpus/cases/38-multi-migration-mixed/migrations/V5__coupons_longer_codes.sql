-- coupons is new in this pull request: not pre-existing, so not a reported type change.
ALTER TABLE coupons ALTER COLUMN code TYPE varchar(20);
