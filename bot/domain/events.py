"""What a complaint's timeline records: every kind of row, defined once.

The values are the strings stored in ``timeline.kind`` (and matched by the
templates' ``_m.html.j2`` and the documents' queries), so an existing
database reads the same; a StrEnum compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """One row of a complaint's record (SOP step 10: everything is in the agenda)."""

    # filing and the incident a complaint belongs to
    FILED = "filed"  # step 1: received (by chat, /catat or monitoring)
    JOINED = "joined"  # joined an incident that was already open
    SPLIT = "split"  # taken out of its incident (a different problem)
    MERGED = "merged"  # its incident was merged into another
    STILL_DOWN = "still_down"  # the reporter says the network is still down after Ya
    DISMISSED = "dismissed"  # closed as not a network fault (/tutup)
    # the SOP's bookkeeping
    STATE = "state"  # state_from -> state_to
    STEP_START = "step_start"
    STEP_END = "step_end"
    # steps 2-6
    CHECK = "check"  # one check step's result
    DIAGNOSIS = "diagnosis"  # the run's verdict
    ERROR = "error"  # the run could not finish
    RECHECK = "recheck"  # a new round of checks
    # step 7 and after
    DECISION = "decision"  # Ya / Tidak / Cek ulang
    NOTE = "note"  # the ADB's cause and action
    RECOVERY = "recovery"  # after Ya: was a database recovery done (answer ya / tidak)
    VENDOR_CALL = "vendor_call"  # step 11: a third party was called
    TICKET = "ticket"  # the third party's own ticket number
    FIXED = "fixed"  # "Sudah diperbaiki"
    # the SOP's clock
    REMINDER = "reminder"
    ESCALATE = "escalate"
    OVERDUE = "overdue"
    FOLLOW_UP = "follow_up"
    # monitoring
    MONITOR_UP = "monitor_up"
    # delivery
    MESSAGE = "message"  # a message about it was delivered
    UNREACHABLE = "unreachable"  # its reporter's chat blocked the bot
    # presses that changed nothing
    REFUSED = "refused"
    STALE = "stale"
