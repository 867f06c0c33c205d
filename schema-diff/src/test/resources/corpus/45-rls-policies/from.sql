CREATE SCHEMA app;
CREATE TABLE app.note (
    id      integer PRIMARY KEY,
    owner   name NOT NULL DEFAULT current_user,
    shared  boolean NOT NULL DEFAULT false,
    body    text
);
ALTER TABLE app.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_read ON app.note FOR SELECT TO PUBLIC
    USING (owner = current_user);
CREATE POLICY note_old ON app.note FOR DELETE USING (false);
CREATE POLICY note_write ON app.note FOR ALL TO PUBLIC
    USING (owner = current_user);
