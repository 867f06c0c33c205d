-- Defaults: changed (status, priority), added (opened_on: constant date,
-- ticket_no: nextval of a sequence), removed (source).
CREATE SCHEMA app;
CREATE SEQUENCE app.ticket_no_seq;
CREATE TABLE app.ticket (
    id        integer PRIMARY KEY,
    status    text    DEFAULT 'open',
    priority  integer DEFAULT (1 + 1),
    opened_on date    DEFAULT '2000-01-01',
    ticket_no bigint  DEFAULT nextval('app.ticket_no_seq'),
    source    text
);
INSERT INTO app.ticket (id, status, priority, opened_on, ticket_no, source)
VALUES (1, 'new', 3, NULL, NULL, 'web'), (2, 'new', 3, NULL, NULL, 'web');
