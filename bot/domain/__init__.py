"""The SOP itself, pure: steps, states, transitions, roles, calendar, clocks."""
