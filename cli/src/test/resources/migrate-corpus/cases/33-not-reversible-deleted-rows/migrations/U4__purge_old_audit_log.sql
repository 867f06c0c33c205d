-- The purged entries cannot be brought back.
SELECT 1;
