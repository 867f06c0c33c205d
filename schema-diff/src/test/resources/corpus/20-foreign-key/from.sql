CREATE SCHEMA app;
CREATE TABLE app.author (id integer PRIMARY KEY, name text);
CREATE TABLE app.book (
    id        integer PRIMARY KEY,
    author_id integer,
    editor_id integer,
    CONSTRAINT book_editor_fk FOREIGN KEY (editor_id) REFERENCES app.author (id)
);
CREATE TABLE public.review (
    id      integer PRIMARY KEY,
    book_id integer,
    CONSTRAINT review_book_fk FOREIGN KEY (book_id) REFERENCES app.book (id)
);
INSERT INTO app.author VALUES (1, 'a'), (2, 'b');
INSERT INTO app.book VALUES (10, 1, 2);
INSERT INTO public.review VALUES (100, 10);
