-- A small follow-up, so that the history has several rows.
CREATE INDEX orders_customer_id_idx ON orders (customer_id);

ALTER TABLE customers ADD COLUMN marketing_opt_in boolean NOT NULL DEFAULT false;
