-- Event trigger on ddl_command_start dropped (with its function); an event
-- trigger function (RETURNS event_trigger) and an event trigger ON
-- ddl_command_end with a WHEN TAG filter added; one added DISABLEd.
-- The functions only do harmless work so applying DDL afterwards still works.
CREATE SCHEMA app;
CREATE TABLE app.ddl_log (tag text, at_no integer);
CREATE FUNCTION app.on_ddl_end() RETURNS event_trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.ddl_log (tag) VALUES (tg_tag);
END $$;
CREATE FUNCTION app.on_drop() RETURNS event_trigger
    LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE EVENT TRIGGER app_ddl_end ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
    EXECUTE FUNCTION app.on_ddl_end();
CREATE EVENT TRIGGER app_sql_drop ON sql_drop
    EXECUTE FUNCTION app.on_drop();
ALTER EVENT TRIGGER app_sql_drop DISABLE;
