ALTER TABLE customers ADD COLUMN gift_card_balance numeric(10,2);
