CREATE OR REPLACE FUNCTION wishlist_size(p_customer_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM wishlists WHERE customer_id = p_customer_id
$$;
