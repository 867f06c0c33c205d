-- The base view v_emp loses a column (salary) and gets a WHERE clause; that
-- needs DROP VIEW, which forces dropping and recreating the views that depend
-- on it (v_dept -> public.v_dept_big), even though their text is unchanged.
-- A new view on top of the chain is added.
CREATE SCHEMA app;
CREATE TABLE app.emp (
    id     integer PRIMARY KEY,
    name   text,
    dept   text,
    salary numeric
);
INSERT INTO app.emp VALUES (1, 'a', 'x', 10), (2, 'b', 'y', 20);
CREATE VIEW app.v_emp AS
    SELECT id, name, dept FROM app.emp WHERE dept IS NOT NULL;
CREATE VIEW app.v_dept AS
    SELECT dept, count(*) AS n FROM app.v_emp GROUP BY dept;
CREATE VIEW public.v_dept_big AS
    SELECT dept FROM app.v_dept WHERE n > 0;
CREATE VIEW public.v_dept_names AS
    SELECT string_agg(dept, ',' ORDER BY dept) AS names FROM public.v_dept_big;
