CREATE TABLE IF NOT EXISTS gift_cards (
    code text PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    balance numeric(10,2) NOT NULL
);
