ALTER TABLE customers ADD COLUMN referral_code text DEFAULT md5(random()::text);
