-- State A: only a table in public.
CREATE TABLE public.account (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO public.account VALUES (1, 'alice'), (2, 'bob');
