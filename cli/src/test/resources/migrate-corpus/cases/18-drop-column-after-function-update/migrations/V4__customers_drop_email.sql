-- customer_spend() stops reading the email first, then the column goes.
CREATE OR REPLACE FUNCTION customer_spend(p_customer_id bigint) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_spent numeric;
BEGIN
    PERFORM 1 FROM customers WHERE id = p_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id;
    END IF;
    SELECT coalesce(sum(total), 0) INTO v_spent
    FROM orders
    WHERE customer_id = p_customer_id AND status <> 'cancelled';
    RETURN v_spent;
END
$$;

ALTER TABLE customers DROP COLUMN email;
