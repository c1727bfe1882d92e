-- The monthly recap (Rekapitulasi) the bot sends the Kabid group by itself on the first
-- working day of the next month: one row per month, claimed before sending and marked
-- after, so a restart does not send it twice (a crash mid-send sends it again once).

CREATE TABLE monthly_reports (
    month      TEXT    PRIMARY KEY,   -- YYYY-MM, the month the recap covers
    chat_id    INTEGER NOT NULL,
    claimed_at TEXT    NOT NULL,
    sent_at    TEXT,
    message_id INTEGER,
    error      TEXT
);
