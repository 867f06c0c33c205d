CREATE SCHEMA app;
CREATE TABLE app.account (
    id      integer PRIMARY KEY,
    balance numeric NOT NULL,
    kind    text,
    age     integer,
    CONSTRAINT account_balance_check CHECK (balance >= 0),
    CONSTRAINT account_kind_check CHECK (kind IN ('a', 'b'))
);
INSERT INTO app.account VALUES (1, 10, 'a', 30);
