-- Typo: the table is "customers" (relation "customer" does not exist).
INSERT INTO gift_cards (code, customer_id, balance)
SELECT 'WELCOME-' || id, id, 10.00 FROM customer;
