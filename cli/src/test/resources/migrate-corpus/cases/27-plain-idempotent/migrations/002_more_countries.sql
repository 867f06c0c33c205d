INSERT INTO countries (code, name) VALUES
    ('UA', 'Ukraine'), ('TR', 'Turkey'), ('TH', 'Thailand')
ON CONFLICT (code) DO NOTHING;
