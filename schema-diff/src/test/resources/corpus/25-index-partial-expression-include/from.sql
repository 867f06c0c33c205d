CREATE SCHEMA app;
CREATE TABLE app.users (
    id         integer PRIMARY KEY,
    name       text NOT NULL,
    email      text,
    deleted    boolean NOT NULL DEFAULT false,
    created_on date
);
CREATE INDEX users_email_idx ON app.users (email);
CREATE INDEX users_created_idx ON app.users (created_on) WHERE deleted = false;
INSERT INTO app.users VALUES (1, 'Ann', 'ann@x', false, '2024-01-01');
