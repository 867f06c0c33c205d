-- task_bump: events changed (INSERT -> INSERT OR UPDATE) and trigger function
-- body changed; task_log_delete dropped (function kept); new AFTER UPDATE
-- FOR EACH ROW trigger with a WHEN clause; new statement-level trigger.
CREATE SCHEMA app;
CREATE TABLE app.task (
    id         integer PRIMARY KEY,
    status     text NOT NULL DEFAULT 'new',
    updated_no integer NOT NULL DEFAULT 0
);
CREATE TABLE app.task_log (task_id integer, old_status text, new_status text);
CREATE FUNCTION app.bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_no := NEW.updated_no + 10;
    RETURN NEW;
END $$;
CREATE FUNCTION app.log_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.task_log VALUES (OLD.id, OLD.status, NULL);
    RETURN OLD;
END $$;
CREATE FUNCTION app.log_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.task_log VALUES (NEW.id, OLD.status, NEW.status);
    RETURN NULL;
END $$;
CREATE TRIGGER task_bump BEFORE INSERT OR UPDATE ON app.task
    FOR EACH ROW EXECUTE FUNCTION app.bump();
CREATE TRIGGER task_status_changed AFTER UPDATE OF status ON app.task
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION app.log_status();
CREATE TRIGGER task_truncate_guard BEFORE TRUNCATE ON app.task
    FOR EACH STATEMENT EXECUTE FUNCTION app.log_delete();
INSERT INTO app.task (id) VALUES (1);
