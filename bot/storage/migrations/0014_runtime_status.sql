-- What the running bot knows about itself, for `netmaint doctor` (a separate process):
-- whether Telegram answers, the last step of the wall clock. One row per key.

CREATE TABLE runtime_status (
    key    TEXT PRIMARY KEY,   -- 'telegram', 'clock_step'
    value  TEXT NOT NULL,      -- 'unreachable' / 'reachable'; the step in seconds, '+3600'
    detail TEXT,               -- the error Telegram gave, redacted
    since  TEXT NOT NULL       -- when the value became this one (UTC)
);
