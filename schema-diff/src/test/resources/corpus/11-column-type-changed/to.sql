-- Only widening changes that need no data conversion beyond an implicit
-- (or assignment) cast: int -> bigint (also on a primary key), numeric(10,2)
-- -> numeric(14,2), varchar(20) -> text (indexed column), varchar(20) ->
-- varchar(50), smallint -> integer (with default), text -> varchar(100).
CREATE SCHEMA app;
CREATE TABLE app.payment (
    id        bigint PRIMARY KEY,
    amount    numeric(14,2) NOT NULL,
    reference text,
    code      varchar(50),
    qty       integer DEFAULT 1,
    note      varchar(100)
);
CREATE INDEX payment_reference_idx ON app.payment (reference);
INSERT INTO app.payment VALUES (1, 9.99, 'REF-1', 'A1', 3, 'short');
CREATE TABLE public.counter (n bigint NOT NULL);
INSERT INTO public.counter VALUES (42);
