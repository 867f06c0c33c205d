-- Columns renamed (fullname -> display_name, mail -> email, the latter
-- indexed). Seen as dropped + added; the renamed columns are nullable so the
-- drop + add is applicable to the non-empty table.
CREATE SCHEMA app;
CREATE TABLE app.person (
    id           integer PRIMARY KEY,
    display_name text,
    email        text
);
CREATE INDEX person_mail_idx ON app.person (email);
INSERT INTO app.person VALUES (1, 'Ann Lee', 'ann@x'), (2, 'Bo Li', 'bo@x');
