"""Outbox purposes: why a message was queued, stored in ``outbox.purpose``.

The values are stored, matched by later edits (``sent_for_incident``) and named
in the timeline's "message" rows, so they keep their exact strings. A message
that belongs to one diagnosis round carries the round: build it here, once.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """A message's purpose; those of one round are built by the functions below."""

    ACK = "ack"  # the reporter's acknowledgement (ends step 1)
    OUTCOME = "outcome"  # the reporter is told the decision (or the dismissal)
    NOTE_ASK = "note_ask"  # the ADB is asked for the cause and the action
    RECOVERY_ASK = "recovery_ask"  # the ADB is asked whether a database recovery was done
    RECOVERY_REPORT = "recovery_report"  # the Kabid: "Laporan recovery database"
    VENDOR = "vendor"  # a third party was called
    VENDORS = "vendors"  # the JF ADB's list of third parties, one button each
    FIXED = "fixed"  # the JF ADB is told it was repaired
    REMINDER = "reminder"  # the SOP's clock: the ADB is reminded
    ESCALATE = "escalate"  # the JF ADB: the decision is late
    OVERDUE = "overdue"  # the Kabid: past the SOP's standard time
    FOLLOW_UP = "follow_up"  # the JF ADB: is the third party done?
    MONITOR_UP = "monitor_up"  # monitoring sees the site up again
    UNREACHABLE = "unreachable"  # the ADB: a chat blocked the bot
    DIAGNOSIS = "diagnosis"  # the ADB's diagnosis message (with its round: ``diagnosis``)
    HISTORY = "history"  # a complaint's history (/lacak, #K42)
    AGENDA = "agenda"  # the /agenda message
    NOT_SET_UP = "not_set_up"  # the one notice to a group the bot is not set up for
    FAULT = "fault"  # a reporter is told where the fault is (with its incident and part)
    ANNOUNCEMENT = "announcement"  # the ADB's text for the public counters (likewise)


def diagnosis(round_: int) -> str:
    """This round's diagnosis message in each ADB chat (edited as checks finish)."""
    return f"{Purpose.DIAGNOSIS}:{round_}"


def diagnosis_more(round_: int, no: int) -> str:
    """The ``no``-th continuation of this round's diagnosis message: the #K tags it
    had no room for (``bot.render.listing``)."""
    return f"{Purpose.DIAGNOSIS}:{round_}:{no}"


def report(template: str, round_: int) -> str:
    """A step report (JF ADB, Kabid): its template and the diagnosis round it reports."""
    return f"{template}:{round_}"


def fault(incident_id: int, part: str) -> str:
    """A reporter's notice of where ``incident_id``'s fault is: once per chat and part."""
    return f"{Purpose.FAULT}:{incident_id}:{part}"


def announcement(incident_id: int, part: str) -> str:
    """The ADB's pengumuman layanan for ``incident_id``'s broken part: once per chat."""
    return f"{Purpose.ANNOUNCEMENT}:{incident_id}:{part}"
