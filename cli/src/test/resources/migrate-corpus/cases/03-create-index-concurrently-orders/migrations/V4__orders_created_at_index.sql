-- Cannot run inside a transaction: the whole migration runs statement by statement.
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);
