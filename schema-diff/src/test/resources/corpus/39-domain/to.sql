-- Domain CHECK changed, DEFAULT and NOT NULL added; a domain dropped; a new
-- domain (CHECK + DEFAULT) added and used by a new column.
CREATE SCHEMA app;
CREATE DOMAIN app.email AS text
    DEFAULT 'nobody@example.org'
    NOT NULL
    CONSTRAINT email_check CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN app.percent AS numeric(5,2)
    DEFAULT 0
    CONSTRAINT percent_range CHECK (VALUE >= 0 AND VALUE <= 100);
CREATE TABLE app.contact (
    id       integer PRIMARY KEY,
    email    app.email,
    discount app.percent
);
INSERT INTO app.contact (id, email) VALUES (1, 'a@example.org');
