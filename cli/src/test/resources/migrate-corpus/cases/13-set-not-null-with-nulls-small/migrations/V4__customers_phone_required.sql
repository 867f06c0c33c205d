-- Every third customer has no phone: this fails (column "phone" of relation "customers" contains null values).
ALTER TABLE customers ALTER COLUMN phone SET NOT NULL;
