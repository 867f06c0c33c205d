ALTER TABLE customers DROP COLUMN gift_card_balance;
