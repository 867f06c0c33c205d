CREATE SCHEMA app;
CREATE TABLE app.task (
    id         integer PRIMARY KEY,
    status     text NOT NULL DEFAULT 'new',
    updated_no integer NOT NULL DEFAULT 0
);
CREATE TABLE app.task_log (task_id integer, old_status text, new_status text);
CREATE FUNCTION app.bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_no := NEW.updated_no + 1;
    RETURN NEW;
END $$;
CREATE FUNCTION app.log_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.task_log VALUES (OLD.id, OLD.status, NULL);
    RETURN OLD;
END $$;
CREATE TRIGGER task_bump BEFORE INSERT ON app.task
    FOR EACH ROW EXECUTE FUNCTION app.bump();
CREATE TRIGGER task_log_delete AFTER DELETE ON app.task
    FOR EACH ROW EXECUTE FUNCTION app.log_delete();
INSERT INTO app.task (id) VALUES (1);
