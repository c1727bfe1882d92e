-- Every refused button press and command, with who, where, what and why, so the office can
-- see who tried what (a complaint's own refusals are also in its timeline). Also read by the
-- flood guard: a user who is refused for filing too often is told so at most once a minute.

CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT    NOT NULL,
    update_id    INTEGER UNIQUE,   -- one row per update: a redelivered update adds none
    user_id      INTEGER,
    user_name    TEXT,
    chat_id      INTEGER,
    kind         TEXT    NOT NULL, -- button | command
    what         TEXT,             -- the callback data or the command word, cut to 64 characters
    complaint_id INTEGER,          -- the complaint the press or command named (may not exist)
    outcome      TEXT    NOT NULL  -- refused | stale | not_found | invalid | rate_limited
);
CREATE INDEX audit_user ON audit(user_id, outcome, at);
CREATE INDEX audit_complaint ON audit(complaint_id, id);
