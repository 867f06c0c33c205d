-- FK added (ON DELETE CASCADE, DEFERRABLE INITIALLY DEFERRED), FK dropped
-- (book_editor_fk), and the cross-schema FK changed (ON DELETE SET NULL,
-- ON UPDATE CASCADE).
CREATE SCHEMA app;
CREATE TABLE app.author (id integer PRIMARY KEY, name text);
CREATE TABLE app.book (
    id        integer PRIMARY KEY,
    author_id integer,
    editor_id integer,
    CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES app.author (id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE public.review (
    id      integer PRIMARY KEY,
    book_id integer,
    CONSTRAINT review_book_fk FOREIGN KEY (book_id) REFERENCES app.book (id)
        ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO app.author VALUES (1, 'a'), (2, 'b');
INSERT INTO app.book VALUES (10, 1, 2);
INSERT INTO public.review VALUES (100, 10);
