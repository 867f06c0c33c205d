CREATE SCHEMA app;
CREATE TABLE app.word (
    id    integer PRIMARY KEY,
    term  text COLLATE "C",
    label varchar(40),
    code  text COLLATE "POSIX"
);
CREATE INDEX word_term_idx ON app.word (term);
INSERT INTO app.word VALUES (1, 'b', 'B', 'x'), (2, 'a', 'A', 'y');
