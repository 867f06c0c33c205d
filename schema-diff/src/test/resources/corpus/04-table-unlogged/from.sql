CREATE SCHEMA app;
CREATE UNLOGGED TABLE app.session_cache (
    token   text PRIMARY KEY,
    payload text
);
CREATE TABLE app.audit_event (
    id   bigint PRIMARY KEY,
    kind text NOT NULL
);
INSERT INTO app.session_cache VALUES ('t1', 'p1');
INSERT INTO app.audit_event VALUES (1, 'login');
