CREATE TABLE IF NOT EXISTS wishlists (
    customer_id bigint NOT NULL REFERENCES customers (id),
    product_id integer NOT NULL REFERENCES products (id),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, product_id)
);
