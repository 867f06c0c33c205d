ALTER TABLE customers ADD COLUMN loyalty_tier text;
INSERT INTO countries (code, name) VALUES ('UA', 'Ukraine');
