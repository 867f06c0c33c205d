CREATE SCHEMA app;
CREATE TABLE app.order_line (
    id    integer PRIMARY KEY,
    qty   integer NOT NULL,
    price numeric(10,2) NOT NULL
);
CREATE TABLE app.box (
    id     integer PRIMARY KEY,
    w      integer NOT NULL,
    h      integer NOT NULL,
    area   integer GENERATED ALWAYS AS (w * h) STORED,
    legacy integer GENERATED ALWAYS AS (w + h) STORED
);
INSERT INTO app.order_line VALUES (1, 2, 3.50);
INSERT INTO app.box (id, w, h) VALUES (1, 2, 3);
