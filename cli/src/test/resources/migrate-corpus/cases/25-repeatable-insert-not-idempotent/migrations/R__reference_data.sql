INSERT INTO countries (code, name) VALUES
    ('UA', 'Ukraine'), ('TR', 'Turkey'), ('TH', 'Thailand')
ON CONFLICT (code) DO NOTHING;

-- audit_log has no key: every run adds one more row.
INSERT INTO audit_log (entity, entity_id, action, detail, logged_at)
VALUES ('countries', NULL, 'refresh', 'reference data loaded', timestamptz '2024-01-01 00:00:00+00');
