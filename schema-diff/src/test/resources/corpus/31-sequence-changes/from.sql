CREATE SCHEMA app;
CREATE SEQUENCE app.order_no INCREMENT BY 1 MINVALUE 1 CACHE 1;
CREATE SEQUENCE app.invoice_no AS integer START WITH 1;
CREATE SEQUENCE app.retired_seq;
CREATE SEQUENCE public.ticket_seq CYCLE MAXVALUE 1000;
CREATE TABLE app.widget (id integer NOT NULL, label text);
