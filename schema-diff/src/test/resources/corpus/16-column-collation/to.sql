-- Column collations: "C" -> "POSIX" (indexed column), default -> "C",
-- "POSIX" -> default.
CREATE SCHEMA app;
CREATE TABLE app.word (
    id    integer PRIMARY KEY,
    term  text COLLATE "POSIX",
    label varchar(40) COLLATE "C",
    code  text
);
CREATE INDEX word_term_idx ON app.word (term);
INSERT INTO app.word VALUES (1, 'b', 'B', 'x'), (2, 'a', 'A', 'y');
