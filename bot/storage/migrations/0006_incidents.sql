-- One outage is one incident: complaints about the same site while it is open join it.
-- Each complaint keeps its own number, timeline and agenda row (SOP steps 1 and 10);
-- the diagnosis, the ADB's decision, the reports and the third party are the incident's.
-- Existing complaints become one-complaint incidents with the same number.

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,           -- #I<id>
    site        TEXT,                          -- NULL: complaints that named no site
    state       TEXT    NOT NULL,              -- as a complaint's, or merged
    round       INTEGER NOT NULL DEFAULT 1,    -- diagnosis run (1 + each re-check)
    merged_into INTEGER REFERENCES incidents(id),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    decided_at  TEXT,                          -- Ya or Tidak (joins within the window see it)
    closed_at   TEXT
);
CREATE INDEX incidents_open ON incidents(site, state);

INSERT INTO incidents (id, site, state, round, created_at, updated_at, decided_at, closed_at)
    SELECT id, site, state, round, created_at, updated_at,
           CASE WHEN state IN ('escalated', 'vendor', 'closed') THEN updated_at END, closed_at
    FROM complaints;

ALTER TABLE complaints ADD COLUMN incident_id INTEGER REFERENCES incidents(id);
UPDATE complaints SET incident_id = id;
CREATE INDEX complaints_incident ON complaints(incident_id, id);

-- The check results of each diagnosis run of an incident (SOP steps 2-6).
CREATE TABLE incident_checks (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    round       INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    result      TEXT    NOT NULL,              -- JSON: the check's full result
    at          TEXT    NOT NULL
);
CREATE INDEX incident_checks_run ON incident_checks(incident_id, round, id);
INSERT INTO incident_checks (incident_id, round, step, status, result, at)
    SELECT complaint_id, round, step, json_extract(detail, '$.status'),
           json_extract(detail, '$.result'), at
    FROM timeline WHERE kind = 'check';

-- SOP step 11 belongs to the incident: one call serves every complaint in it.
CREATE TABLE vendor_calls_new (
    id             INTEGER PRIMARY KEY,
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    vendor         TEXT    NOT NULL,
    called_at      TEXT    NOT NULL,
    called_by_id   INTEGER,
    called_by_name TEXT,
    ticket         TEXT,
    fixed_at       TEXT
);
INSERT INTO vendor_calls_new (id, incident_id, vendor, called_at, called_by_id, called_by_name,
                              ticket, fixed_at)
    SELECT id, complaint_id, vendor, called_at, called_by_id, called_by_name, ticket, fixed_at
    FROM vendor_calls;
DROP TABLE vendor_calls;
ALTER TABLE vendor_calls_new RENAME TO vendor_calls;
CREATE INDEX vendor_calls_incident ON vendor_calls(incident_id);

-- Messages about an incident (the ADB's diagnosis, the reports) are found by it.
UPDATE outbox SET incident_id = complaint_id
    WHERE incident_id IS NULL AND complaint_id IS NOT NULL
      AND (purpose LIKE 'diagnosis:%' OR purpose LIKE 'jf_report%' OR purpose LIKE 'kabid_report%');
