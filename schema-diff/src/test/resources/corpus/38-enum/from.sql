CREATE SCHEMA app;
CREATE TYPE app.priority AS ENUM ('low', 'high');
CREATE TYPE app.mood AS ENUM ('sad', 'happy');
CREATE TABLE app.ticket (
    id       integer PRIMARY KEY,
    priority app.priority NOT NULL DEFAULT 'low'
);
INSERT INTO app.ticket VALUES (1, 'low'), (2, 'high');
