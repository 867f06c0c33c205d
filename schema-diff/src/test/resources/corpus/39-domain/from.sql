CREATE SCHEMA app;
CREATE DOMAIN app.email AS text
    CONSTRAINT email_check CHECK (VALUE LIKE '%@%');
CREATE DOMAIN app.old_code AS varchar(5);
CREATE TABLE app.contact (
    id    integer PRIMARY KEY,
    email app.email
);
INSERT INTO app.contact VALUES (1, 'a@example.org');
