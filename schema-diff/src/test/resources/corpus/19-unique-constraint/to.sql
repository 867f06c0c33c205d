-- UNIQUE added (single and multi-column, one NULLS NOT DISTINCT and one
-- DEFERRABLE), UNIQUE on phone dropped.
CREATE SCHEMA app;
CREATE TABLE app.users (
    id       integer PRIMARY KEY,
    login    text,
    email    text,
    phone    text,
    tenant   integer,
    CONSTRAINT users_login_key UNIQUE NULLS NOT DISTINCT (login),
    CONSTRAINT users_tenant_email_key UNIQUE (tenant, email) DEFERRABLE
);
INSERT INTO app.users VALUES (1, 'a', 'a@x', '1', 1), (2, 'b', 'b@x', '2', 1);
