CREATE SCHEMA app;
CREATE TABLE app.job (id integer PRIMARY KEY, done boolean NOT NULL DEFAULT false);
CREATE TABLE app.job_archive (id integer PRIMARY KEY);
CREATE PROCEDURE app.archive_done()
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.job_archive SELECT id FROM app.job WHERE done;
END $$;
CREATE PROCEDURE app.old_cleanup()
    LANGUAGE sql AS $$ DELETE FROM app.job_archive $$;
INSERT INTO app.job VALUES (1, true), (2, false);
CALL app.archive_done();
