-- Expression index (lower(name)) added; users_email_idx becomes a partial
-- unique index; INCLUDE columns added to users_created_idx and its WHERE
-- predicate changed.
CREATE SCHEMA app;
CREATE TABLE app.users (
    id         integer PRIMARY KEY,
    name       text NOT NULL,
    email      text,
    deleted    boolean NOT NULL DEFAULT false,
    created_on date
);
CREATE INDEX users_lower_name_idx ON app.users (lower(name));
CREATE UNIQUE INDEX users_email_idx ON app.users (email) WHERE NOT deleted;
CREATE INDEX users_created_idx ON app.users (created_on) INCLUDE (id, name)
    WHERE deleted = false AND email IS NOT NULL;
INSERT INTO app.users VALUES (1, 'Ann', 'ann@x', false, '2024-01-01');
