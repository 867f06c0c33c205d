-- Enum value added in the middle ('medium' BEFORE 'high') and at the end
-- ('urgent'); a value added to an enum that is not used by any column;
-- a new enum type added and used by a new column.
CREATE SCHEMA app;
CREATE TYPE app.priority AS ENUM ('low', 'medium', 'high', 'urgent');
CREATE TYPE app.mood AS ENUM ('sad', 'neutral', 'happy');
CREATE TYPE public.ticket_state AS ENUM ('open', 'closed');
CREATE TABLE app.ticket (
    id       integer PRIMARY KEY,
    priority app.priority NOT NULL DEFAULT 'low',
    state    public.ticket_state
);
INSERT INTO app.ticket VALUES (1, 'low'), (2, 'high');
