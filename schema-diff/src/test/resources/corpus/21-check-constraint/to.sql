-- CHECK changed (balance), dropped (kind), added (age, multi-column).
CREATE SCHEMA app;
CREATE TABLE app.account (
    id      integer PRIMARY KEY,
    balance numeric NOT NULL,
    kind    text,
    age     integer,
    CONSTRAINT account_balance_check CHECK (balance >= -100),
    CONSTRAINT account_age_check CHECK (age BETWEEN 0 AND 150),
    CONSTRAINT account_sanity CHECK (kind IS NOT NULL OR balance = 0)
);
INSERT INTO app.account VALUES (1, 10, 'a', 30);
