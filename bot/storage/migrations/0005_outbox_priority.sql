-- Outbox priorities (issue 9): per chat the sender sends the due row with the lowest
-- (priority, id), so a decision prompt overtakes the progress edits queued before it.
-- priority: 0 urgent (decision prompts, official reports), 1 normal (replies,
--   acknowledgements, notices), 2 background (progress edits of a diagnosis).
-- incident_id: the incident a row belongs to (the incidents work fills it; no foreign key
--   here, so this migration does not depend on that table existing).
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN incident_id INTEGER;
-- The due query walks each chat's pending rows in (priority, id) order: a partial index holds
-- only pending rows, so it stays small however many thousands of rows were sent.
CREATE INDEX outbox_due ON outbox(chat_id, priority, id) WHERE state='pending';
-- Edits of one message (superseded, waiting for their send) are found by the row they edit.
CREATE INDEX outbox_ref ON outbox(ref_outbox_id, method, id) WHERE state='pending';
CREATE INDEX outbox_incident ON outbox(incident_id, purpose) WHERE incident_id IS NOT NULL;
