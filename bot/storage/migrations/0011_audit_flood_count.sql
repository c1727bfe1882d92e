-- The per-user flood guard (handlers/flood.py, issue 14): one audit row per user per flood,
-- outcome 'flood', counting the updates that were ignored, instead of one row per update.
-- Numbered 0011, past the numbers other branches were using when it was written.

ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
