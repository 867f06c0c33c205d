CREATE SCHEMA app;
CREATE TABLE app.emp (
    id     integer PRIMARY KEY,
    name   text,
    dept   text,
    salary numeric
);
INSERT INTO app.emp VALUES (1, 'a', 'x', 10), (2, 'b', 'y', 20);
CREATE VIEW app.v_emp AS
    SELECT id, name, dept, salary FROM app.emp;
CREATE VIEW app.v_dept AS
    SELECT dept, count(*) AS n FROM app.v_emp GROUP BY dept;
CREATE VIEW public.v_dept_big AS
    SELECT dept FROM app.v_dept WHERE n > 0;
