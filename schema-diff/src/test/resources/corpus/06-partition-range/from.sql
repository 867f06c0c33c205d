CREATE SCHEMA app;
CREATE TABLE app.measurement (
    id       bigint NOT NULL,
    taken_on date   NOT NULL,
    value    numeric
) PARTITION BY RANGE (taken_on);
CREATE TABLE app.measurement_2023_q1 PARTITION OF app.measurement
    FOR VALUES FROM ('2023-01-01') TO ('2023-04-01');
CREATE TABLE app.measurement_2023_q2 PARTITION OF app.measurement
    FOR VALUES FROM ('2023-04-01') TO ('2023-07-01');
INSERT INTO app.measurement VALUES (1, '2023-02-10', 1.5), (2, '2023-05-01', 2.5);
