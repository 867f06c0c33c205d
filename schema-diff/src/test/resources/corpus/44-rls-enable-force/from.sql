CREATE SCHEMA app;
CREATE TABLE app.note (
    id    integer PRIMARY KEY,
    owner name NOT NULL DEFAULT current_user,
    body  text
);
CREATE TABLE app.secret (id integer PRIMARY KEY, owner name NOT NULL);
ALTER TABLE app.secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.secret FORCE ROW LEVEL SECURITY;
CREATE TABLE public.doc (id integer PRIMARY KEY);
ALTER TABLE public.doc ENABLE ROW LEVEL SECURITY;
INSERT INTO app.note (id, body) VALUES (1, 'x');
