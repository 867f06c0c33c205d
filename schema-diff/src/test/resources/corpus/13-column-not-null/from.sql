CREATE SCHEMA app;
CREATE TABLE app.employee (
    id         integer PRIMARY KEY,
    email      text,
    nickname   text NOT NULL,
    manager_id integer
);
INSERT INTO app.employee VALUES (1, 'a@x.org', 'al', NULL), (2, 'b@x.org', 'bo', 1);
CREATE TABLE public.setting (key text, value text NOT NULL);
INSERT INTO public.setting VALUES ('k', 'v');
