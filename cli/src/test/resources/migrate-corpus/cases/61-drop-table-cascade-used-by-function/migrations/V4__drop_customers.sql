-- CASCADE because orders has a foreign key to customers: it drops orders_customer_id_fkey.
DROP TABLE customers CASCADE;
