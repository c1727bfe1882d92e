-- The agenda (SOP step 10): complaints, their timeline, and the messages in and out.
-- Times are ISO-8601 UTC text. Applied once, in a transaction, by bot/store.py.

CREATE TABLE complaints (
    id              INTEGER PRIMARY KEY,          -- the complaint number: #K<id>
    state           TEXT    NOT NULL,
    reporter_id     INTEGER,                      -- Telegram user id, when the user filed it
    reporter_chat_id INTEGER,                     -- where the reporter is told the outcome
    reporter_name   TEXT    NOT NULL,
    filed_by_id     INTEGER,                      -- the ADB who logged it with /catat
    filed_by_name   TEXT,
    channel         TEXT    NOT NULL,             -- chat | catat (phone, in person)
    site            TEXT,
    text            TEXT    NOT NULL,             -- stored whole
    round           INTEGER NOT NULL DEFAULT 1,   -- diagnosis run (1 + each re-check)
    source_update_id INTEGER UNIQUE,              -- a redelivered update files nothing twice
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    closed_at       TEXT
);
CREATE INDEX complaints_state ON complaints(state);
CREATE INDEX complaints_created ON complaints(created_at);
CREATE INDEX complaints_reporter ON complaints(reporter_id);

-- Every step start/end, check result, decision, message and refusal, with time and actor.
CREATE TABLE timeline (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    at           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,  -- filed, step_start, step_end, check, state, decision,
                                    -- message, vendor_call, ticket, unreachable, refused, error
    step         INTEGER,           -- SOP step number 1-11
    round        INTEGER,
    actor_id     INTEGER,           -- Telegram user id; NULL = the bot
    actor_name   TEXT,
    state_from   TEXT,
    state_to     TEXT,
    detail       TEXT               -- JSON
);
CREATE INDEX timeline_complaint ON timeline(complaint_id, id);

-- Incoming updates, recorded before Telegram is told they arrived.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    raw         TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    handled     INTEGER NOT NULL DEFAULT 0,
    handled_at  TEXT,
    error       TEXT
);
CREATE INDEX inbox_unhandled ON inbox(handled, update_id);

-- Messages to send, committed with the state change that causes them.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    chat_id      INTEGER NOT NULL,
    complaint_id INTEGER REFERENCES complaints(id),
    method       TEXT    NOT NULL,               -- sendMessage, editMessageText, ...
    payload      TEXT    NOT NULL,               -- JSON Bot API parameters
    ref_outbox_id INTEGER REFERENCES outbox(id), -- edits: the message that row sent
    purpose      TEXT,                           -- ack, diagnosis, jf_report, kabid_report, ...
    step         INTEGER,                        -- SOP step this delivery ends (8, 9)
    state        TEXT    NOT NULL DEFAULT 'pending', -- pending, sent, failed, unreachable,
                                                 -- superseded, skipped
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT,
    last_error   TEXT,
    message_id   INTEGER,                        -- what Telegram returned
    created_at   TEXT    NOT NULL,
    sent_at      TEXT
);
CREATE INDEX outbox_pending ON outbox(state, chat_id, id);
CREATE INDEX outbox_complaint ON outbox(complaint_id, purpose);

-- Chats that blocked the bot (403); cleared when they write again.
CREATE TABLE chats (
    chat_id        INTEGER PRIMARY KEY,
    unreachable_at TEXT,
    reason         TEXT
);

-- SOP step 11: third parties called, with their own ticket number.
CREATE TABLE vendor_calls (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    vendor       TEXT    NOT NULL,
    called_at    TEXT    NOT NULL,
    called_by_id INTEGER,
    called_by_name TEXT,
    ticket       TEXT,
    fixed_at     TEXT
);
CREATE INDEX vendor_calls_complaint ON vendor_calls(complaint_id);

-- The /lapor dialog, kept here so a restart does not lose a half-filed complaint.
CREATE TABLE dialogs (
    user_id    INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    stage      TEXT    NOT NULL,
    site       TEXT,
    updated_at TEXT    NOT NULL
);
