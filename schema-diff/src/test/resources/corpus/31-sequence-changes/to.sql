-- order_no: INCREMENT, MINVALUE (lowered, so it stays applicable), MAXVALUE,
-- CACHE changed; invoice_no: data type integer -> bigint; retired_seq dropped;
-- ticket_seq: NO CYCLE; new sequences added (one OWNED BY a column and used
-- as its default, one descending).
CREATE SCHEMA app;
CREATE SEQUENCE app.order_no INCREMENT BY 5 MINVALUE -100 MAXVALUE 1000000
    START WITH 1 CACHE 20;
CREATE SEQUENCE app.invoice_no AS bigint START WITH 1;
CREATE SEQUENCE public.ticket_seq NO CYCLE MAXVALUE 1000;
CREATE TABLE app.widget (id integer NOT NULL, label text);
CREATE SEQUENCE app.widget_id_seq AS integer START WITH 10 OWNED BY app.widget.id;
ALTER TABLE app.widget ALTER COLUMN id SET DEFAULT nextval('app.widget_id_seq');
CREATE SEQUENCE app.countdown INCREMENT BY -1 MINVALUE 0 MAXVALUE 100 START WITH 100;
