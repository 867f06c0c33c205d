-- Cannot run inside a transaction.
VACUUM FULL order_items;
