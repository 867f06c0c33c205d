-- car no longer inherits from vehicle (keeps its columns as local ones);
-- truck now inherits from vehicle. truck's id/maker are declared explicitly
-- (merged with the inherited ones, attislocal = true), which is exactly the
-- state that ALTER TABLE app.truck INHERIT app.vehicle produces.
SET client_min_messages = warning;  -- silence "merging column" notices
CREATE SCHEMA app;
CREATE TABLE app.vehicle (
    id    integer NOT NULL,
    maker text
);
CREATE TABLE app.car (
    id    integer NOT NULL,
    maker text,
    doors integer
);
CREATE TABLE app.truck (
    id      integer NOT NULL,
    maker   text,
    payload numeric
) INHERITS (app.vehicle);
INSERT INTO app.car VALUES (1, 'vw', 4);
INSERT INTO app.truck VALUES (2, 'man', 12.5);
