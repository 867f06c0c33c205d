CREATE TABLE wishlists (
    customer_id bigint NOT NULL REFERENCES customers (id),
    product_id integer NOT NULL REFERENCES products (id),
    PRIMARY KEY (customer_id, product_id)
);

ALTER TABLE wishlists ADD COLUM added_at timestamptz NOT NULL DEFAULT now();

INSERT INTO wishlists (customer_id, product_id) VALUES (1, 1);
