-- Row-level security toggled (ENABLE and FORCE are independent flags):
--   app.note:   off -> ENABLE + FORCE
--   app.secret: ENABLE + FORCE -> disabled, not forced
--   public.doc: ENABLE -> ENABLE + FORCE
CREATE SCHEMA app;
CREATE TABLE app.note (
    id    integer PRIMARY KEY,
    owner name NOT NULL DEFAULT current_user,
    body  text
);
ALTER TABLE app.note ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.note FORCE ROW LEVEL SECURITY;
CREATE TABLE app.secret (id integer PRIMARY KEY, owner name NOT NULL);
CREATE TABLE public.doc (id integer PRIMARY KEY);
ALTER TABLE public.doc ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.doc FORCE ROW LEVEL SECURITY;
INSERT INTO app.note (id, body) VALUES (1, 'x');
