-- Reads on the bot's paths stay index lookups as the tables grow (issue 20): the
-- incidents not yet closed (the SOP clock, /status), and the complaints closed today
-- (/agenda). tests/e2e/test_query_plans.py asks SQLite for every statement's plan.

CREATE INDEX incidents_state ON incidents(state, id);
CREATE INDEX complaints_closed ON complaints(closed_at);
