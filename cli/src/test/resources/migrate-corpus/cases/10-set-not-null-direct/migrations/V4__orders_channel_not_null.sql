-- orders.channel has no NULLs: this succeeds, after a full scan under ACCESS EXCLUSIVE.
ALTER TABLE orders ALTER COLUMN channel SET NOT NULL;
