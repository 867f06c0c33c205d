CREATE TABLE wishlists (
    customer_id bigint NOT NULL REFERENCES customers (id),
    product_id integer NOT NULL REFERENCES products (id),
    PRIMARY KEY (customer_id, product_id)
);

CREATE FUNCTION wishlist_size(p_customer_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM wishlists WHERE customer_id = p_customer_id
$$;
