-- text -> varchar(10) must check every value's length: PostgreSQL rewrites the table.
ALTER TABLE orders ALTER COLUMN channel TYPE varchar(10);
