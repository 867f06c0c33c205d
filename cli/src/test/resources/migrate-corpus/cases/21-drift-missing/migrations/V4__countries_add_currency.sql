ALTER TABLE countries ADD COLUMN currency text;
