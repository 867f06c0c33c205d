-- Procedure body changed (plpgsql), one dropped, an SQL procedure with
-- parameters added (incl. an INOUT one).
CREATE SCHEMA app;
CREATE TABLE app.job (id integer PRIMARY KEY, done boolean NOT NULL DEFAULT false);
CREATE TABLE app.job_archive (id integer PRIMARY KEY);
CREATE PROCEDURE app.archive_done()
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.job_archive SELECT id FROM app.job WHERE done
        ON CONFLICT DO NOTHING;
    DELETE FROM app.job WHERE done;
END $$;
CREATE PROCEDURE app.mark_done(p_id integer, INOUT n integer DEFAULT 0)
    LANGUAGE sql AS $$ UPDATE app.job SET done = true WHERE id = p_id RETURNING 1 $$;
INSERT INTO app.job VALUES (1, true), (2, false);
CALL app.archive_done();
