-- Allowed inside a transaction block since PostgreSQL 12 (the new value is not used in the same one).
ALTER TYPE payment_method ADD VALUE 'gift_card';
