-- Q1 partition dropped, Q3 and DEFAULT partitions added,
-- and a new range-partitioned table (with a partitioned index) appears.
CREATE SCHEMA app;
CREATE TABLE app.measurement (
    id       bigint NOT NULL,
    taken_on date   NOT NULL,
    value    numeric
) PARTITION BY RANGE (taken_on);
CREATE TABLE app.measurement_2023_q2 PARTITION OF app.measurement
    FOR VALUES FROM ('2023-04-01') TO ('2023-07-01');
CREATE TABLE app.measurement_2023_q3 PARTITION OF app.measurement
    FOR VALUES FROM ('2023-07-01') TO ('2023-10-01');
CREATE TABLE app.measurement_other PARTITION OF app.measurement DEFAULT;
INSERT INTO app.measurement VALUES (2, '2023-05-01', 2.5);

CREATE TABLE public.event_log (
    id     bigint NOT NULL,
    at_id  integer NOT NULL,
    detail text,
    PRIMARY KEY (id, at_id)
) PARTITION BY RANGE (at_id);
CREATE TABLE public.event_log_low PARTITION OF public.event_log
    FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE public.event_log_high PARTITION OF public.event_log
    FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE INDEX event_log_detail_idx ON public.event_log (detail);
