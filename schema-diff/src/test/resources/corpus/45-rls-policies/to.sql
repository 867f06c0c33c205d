-- Policy USING changed (note_read), WITH CHECK added to note_write and its
-- role changed to CURRENT_USER, note_old dropped, a RESTRICTIVE policy added.
CREATE SCHEMA app;
CREATE TABLE app.note (
    id      integer PRIMARY KEY,
    owner   name NOT NULL DEFAULT current_user,
    shared  boolean NOT NULL DEFAULT false,
    body    text
);
ALTER TABLE app.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_read ON app.note FOR SELECT TO PUBLIC
    USING (owner = current_user OR shared);
CREATE POLICY note_write ON app.note FOR ALL TO CURRENT_USER
    USING (owner = current_user)
    WITH CHECK (owner = current_user AND body IS NOT NULL);
CREATE POLICY note_no_empty ON app.note AS RESTRICTIVE FOR INSERT
    WITH CHECK (length(body) > 0);
