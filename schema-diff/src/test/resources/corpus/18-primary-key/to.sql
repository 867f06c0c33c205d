-- PK dropped from country (column keeps NOT NULL), PK added to city
-- (non-empty; makes id NOT NULL), line_item PK widened to two columns.
CREATE SCHEMA app;
CREATE TABLE app.country (
    code text NOT NULL,
    name text
);
CREATE TABLE app.city (
    id   integer PRIMARY KEY,
    name text
);
CREATE TABLE app.line_item (
    order_id integer NOT NULL,
    line_no  integer NOT NULL,
    CONSTRAINT line_item_pkey PRIMARY KEY (order_id, line_no)
);
INSERT INTO app.country VALUES ('de', 'Germany');
INSERT INTO app.city VALUES (1, 'Berlin'), (2, 'Paris');
INSERT INTO app.line_item VALUES (1, 1), (2, 1);
