-- Emails move to the identity provider.
ALTER TABLE customers DROP COLUMN email;
