-- State B: a new schema "reporting" with objects inside it.
CREATE TABLE public.account (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO public.account VALUES (1, 'alice'), (2, 'bob');

CREATE SCHEMA reporting;
CREATE TABLE reporting.daily_total (
    day   date PRIMARY KEY,
    total numeric(12,2) NOT NULL DEFAULT 0
);
CREATE VIEW reporting.account_names AS
    SELECT id, name FROM public.account;
