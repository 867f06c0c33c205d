-- No ON CONFLICT: a second run fails on countries_pkey (and so changes nothing).
INSERT INTO countries (code, name) VALUES
    ('UA', 'Ukraine'), ('TR', 'Turkey'), ('TH', 'Thailand');
