CREATE TABLE coupons (
    code varchar(10) PRIMARY KEY,
    percent_off integer NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until date
);
