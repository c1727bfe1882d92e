-- Outbox delivery under Bot API faults (bot/outbox.py).
-- failures: transient errors (timeouts, 5xx, resets) that set the backoff; a 429 is not one.
-- ambiguous: attempts that may have reached Telegram although no answer came back (a read
--   timeout, a reset after the request was written, a crash mid-send); for sendMessage each
--   one may have left a duplicate message in the chat, so their sum is the duplicate count.
-- sending_at: set while a request is in flight; still set at start-up = the process died
--   mid-send, which is counted as ambiguous.
ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
