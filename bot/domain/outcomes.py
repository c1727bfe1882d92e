"""How an operation someone asked for ended, and the one exception that says it did not.

The values are the keys of ``templates/*/answers.txt.j2`` and the audit's
``outcome`` column. The SOP layer raises ``Refused`` once, where it decides;
the handlers answer it in one place (``handlers.base``).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The answer to a button press or command."""

    OK = "ok"
    REFUSED = "refused"  # the role may not do this (says nothing about which numbers exist)
    STALE = "stale"  # allowed, but not in the state the button belongs to any more
    NOT_FOUND = "not_found"  # no such complaint or incident
    LIMITED = "limited"  # the reporter is over [limits] complaints_per_user


class Refused(Exception):
    """The operation changed nothing, for ``outcome`` (never ``Outcome.OK``).

    Whatever the operation recorded about the refusal (a timeline or audit row) is
    committed before this leaves the SOP layer."""

    def __init__(self, outcome: Outcome) -> None:
        assert outcome is not Outcome.OK
        super().__init__(str(outcome))
        self.outcome = outcome
