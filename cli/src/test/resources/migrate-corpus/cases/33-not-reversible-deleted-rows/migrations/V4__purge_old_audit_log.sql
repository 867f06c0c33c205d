DELETE FROM audit_log WHERE logged_at < timestamptz '2022-02-01 00:00:00+00';
