-- NOT NULL set on email (data has no NULLs) and public.setting.key;
-- NOT NULL dropped on nickname and public.setting.value.
CREATE SCHEMA app;
CREATE TABLE app.employee (
    id         integer PRIMARY KEY,
    email      text NOT NULL,
    nickname   text,
    manager_id integer
);
INSERT INTO app.employee VALUES (1, 'a@x.org', 'al', NULL), (2, 'b@x.org', 'bo', 1);
CREATE TABLE public.setting (key text NOT NULL, value text);
INSERT INTO public.setting VALUES ('k', 'v');
