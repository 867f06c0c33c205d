CREATE SCHEMA app;
CREATE TABLE app.payment (
    id        integer PRIMARY KEY,
    amount    numeric(10,2) NOT NULL,
    reference varchar(20),
    code      varchar(20),
    qty       smallint DEFAULT 1,
    note      text
);
CREATE INDEX payment_reference_idx ON app.payment (reference);
INSERT INTO app.payment VALUES (1, 9.99, 'REF-1', 'A1', 3, 'short');
CREATE TABLE public.counter (n integer NOT NULL);
INSERT INTO public.counter VALUES (42);
