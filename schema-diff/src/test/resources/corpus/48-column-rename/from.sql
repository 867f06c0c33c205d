CREATE SCHEMA app;
CREATE TABLE app.person (
    id       integer PRIMARY KEY,
    fullname text,
    mail     text
);
CREATE INDEX person_mail_idx ON app.person (mail);
INSERT INTO app.person VALUES (1, 'Ann Lee', 'ann@x'), (2, 'Bo Li', 'bo@x');
