CREATE SCHEMA app;
CREATE TABLE app.ddl_log (tag text, at_no integer);
CREATE FUNCTION app.on_ddl_start() RETURNS event_trigger
    LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE EVENT TRIGGER app_ddl_start ON ddl_command_start
    EXECUTE FUNCTION app.on_ddl_start();
