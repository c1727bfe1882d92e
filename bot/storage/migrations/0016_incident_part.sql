-- One incident per broken part (issue 21): the [[links]] name of the part of the path to
-- SIAK where the diagnosis (or monitoring) located the break. A complaint or a monitored
-- outage at another site whose path crosses that part joins this incident while it is open;
-- NULL: no break located on a path (yet).
ALTER TABLE incidents ADD COLUMN part TEXT;
CREATE INDEX incidents_part ON incidents(part, state);
