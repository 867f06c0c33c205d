CREATE SCHEMA app;
CREATE TABLE app.users (
    id       integer PRIMARY KEY,
    login    text,
    email    text,
    phone    text,
    tenant   integer,
    CONSTRAINT users_phone_key UNIQUE (phone)
);
INSERT INTO app.users VALUES (1, 'a', 'a@x', '1', 1), (2, 'b', 'b@x', '2', 1);
