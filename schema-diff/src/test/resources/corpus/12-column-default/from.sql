CREATE SCHEMA app;
CREATE SEQUENCE app.ticket_no_seq;
CREATE TABLE app.ticket (
    id        integer PRIMARY KEY,
    status    text    DEFAULT 'new',
    priority  integer DEFAULT 3,
    opened_on date,
    ticket_no bigint,
    source    text    DEFAULT 'web'
);
INSERT INTO app.ticket (id) VALUES (1), (2);
