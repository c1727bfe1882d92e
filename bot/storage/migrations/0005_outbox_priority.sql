-- (placeholder on main until the sender branch lands; replaced by its version)
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN incident_id INTEGER;
