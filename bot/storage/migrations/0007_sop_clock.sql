-- The SOP's clock: reminders and escalation computed from stored times, each fired once;
-- the ADB's note (cause and action); complaints closed as not a network fault.

ALTER TABLE incidents ADD COLUMN awaiting_since TEXT;  -- when it began to wait for Ya/Tidak
ALTER TABLE incidents ADD COLUMN note TEXT;            -- the ADB's cause and action taken
UPDATE incidents SET awaiting_since = updated_at WHERE state = 'awaiting_decision';

ALTER TABLE complaints ADD COLUMN dismissed TEXT;      -- set: closed as not a network fault
                                                       -- (duplicate, mistake, ...), with why

-- Every reminder and notice sent, so each fires once, across restarts.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    kind        TEXT    NOT NULL,  -- remind, escalate, overdue, vendor:<call id>
    seq         INTEGER NOT NULL,  -- which one of its kind (reminder 1, 2, ...)
    at          TEXT    NOT NULL,
    UNIQUE (incident_id, kind, seq)
);
