ALTER TABLE customers ADD COLUMN birth_date date;
