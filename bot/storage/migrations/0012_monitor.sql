-- Monitoring (issue 11): what each watched target or service of a site last looked like,
-- each site's up/down and the incident monitoring opened, and planned maintenance windows.
-- Stored, not held in memory, so a restart while a site is down opens no second incident.

ALTER TABLE incidents ADD COLUMN found_by TEXT;   -- 'monitor': opened by monitoring

CREATE TABLE monitor_watch (
    site       TEXT    NOT NULL,                -- '' for the office (no [[sites]])
    kind       TEXT    NOT NULL,                -- target or service
    name       TEXT    NOT NULL,                -- its name in [[targets]] / [[services]]
    up         INTEGER NOT NULL DEFAULT 1,      -- 1 up, 0 down (after the thresholds)
    fails      INTEGER NOT NULL DEFAULT 0,      -- failed checks in a row
    goods      INTEGER NOT NULL DEFAULT 0,      -- good checks in a row
    checked_at TEXT,
    changed_at TEXT,                            -- when up/down last changed
    PRIMARY KEY (site, kind, name)
);

CREATE TABLE monitor_sites (
    site         TEXT    PRIMARY KEY,          -- '' for the office
    down         INTEGER NOT NULL DEFAULT 0,   -- any watched thing down
    changed_at   TEXT,
    incident_id  INTEGER REFERENCES incidents(id),  -- the outage monitoring reported
    recovered_at TEXT                          -- recovery of that incident was said
);

CREATE TABLE maintenance (
    id         INTEGER PRIMARY KEY,
    site       TEXT    NOT NULL,                -- '' for the office
    starts_at  TEXT    NOT NULL,
    ends_at    TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    by_id      INTEGER,
    by_name    TEXT,
    ended_at   TEXT                             -- ended early by an ADB
);
CREATE INDEX maintenance_site ON maintenance(site, ends_at);
