-- A dialog can hold the complaint while the site is asked: a one-line /lapor whose site
-- is unknown, or an ADB's /catat (then `reporter` is the name they logged it for).
ALTER TABLE dialogs ADD COLUMN text TEXT;
ALTER TABLE dialogs ADD COLUMN reporter TEXT;
