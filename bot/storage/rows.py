"""What the storage returns: frozen rows, each mapped from SQLite by one generic mapper.

Times are stored as ISO-8601 text in UTC and JSON columns as text; the mapper
converts by the field's declared type, so a new column is one new field, not a
new hand-written mapper.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, TypeVar, get_type_hints

from bot.domain.model import State


def iso(t: datetime) -> str:
    """How times are stored and compared: ISO-8601 in UTC.

    Stored times are compared as text in SQL, so every instant is turned to UTC
    first: an office-zone boundary (00:00 WIB) written as "+07:00" text would sort
    after the UTC instants of the same evening.
    """
    if t.tzinfo is None:
        raise ValueError("naive datetime: store instants with a time zone")
    return t.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint as stored."""

    id: int
    state: State
    reporter_id: int | None
    reporter_chat_id: int | None
    reporter_name: str
    filed_by_id: int | None
    filed_by_name: str | None
    channel: str
    site: str | None
    text: str
    round: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    incident_id: int | None = None
    dismissed: str | None = None  # why it was closed as not a network fault

    @property
    def tag(self) -> str:
        return f"#K{self.id}"


@dataclass(frozen=True, slots=True)
class Incident:
    """One outage: the complaints about it share its diagnosis, decision and reports."""

    id: int
    site: str | None
    state: str  # a State, or MERGED
    round: int
    merged_into: int | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    closed_at: datetime | None
    awaiting_since: datetime | None = None
    note: str | None = None
    found_by: str | None = None  # "monitor": opened by monitoring, before any complaint
    part: str | None = None  # the [[links]] part where the break was located (issue 21)

    @property
    def tag(self) -> str:
        return f"#I{self.id}"


@dataclass(frozen=True, slots=True)
class Event:
    """One timeline row."""

    id: int
    complaint_id: int
    at: datetime
    kind: str
    step: int | None
    round: int | None
    actor_id: int | None
    actor_name: str | None
    state_from: str | None
    state_to: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message to deliver."""

    id: int
    chat_id: int
    complaint_id: int | None
    method: str
    payload: dict[str, Any]
    ref_outbox_id: int | None
    purpose: str | None
    step: int | None
    state: str
    attempts: int
    message_id: int | None
    failures: int = 0  # transient errors so far (sets the backoff)
    ambiguous: int = 0  # attempts that may have reached Telegram
    priority: int = 1  # 0 urgent, 1 normal, 2 background (bot.delivery.queue)
    incident_id: int | None = None


@dataclass(frozen=True, slots=True)
class VendorCall:
    """A third party called about an incident (SOP step 11)."""

    id: int
    incident_id: int
    vendor: str
    called_at: datetime
    called_by_name: str | None
    ticket: str | None
    fixed_at: datetime | None
    called_by_id: int | None = None  # who recorded the call: [[staff]] names them


@dataclass(frozen=True, slots=True)
class Dialog:
    """Where a user is in the /lapor (or /catat) dialog.

    ``text``: the complaint, when it came before the site question; ``reporter``: the
    name an ADB's /catat logs it for (None: the user files their own).
    """

    stage: str
    site: str | None
    chat_id: int | None = None
    text: str | None = None
    reporter: str | None = None


def _time(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def _json(v: Any) -> dict[str, Any]:
    return json.loads(v) if v else {}


# Converters by declared type; anything else is taken as SQLite returns it.
_BY_TYPE: dict[Any, Callable[[Any], Any]] = {
    datetime: _time,
    datetime | None: _time,
    dict[str, Any]: _json,
    State: State,
}


T = TypeVar("T")


def mapper(cls: type[T]) -> Callable[[sqlite3.Row], T]:
    """A function turning a row (columns named like the fields) into ``cls``."""
    hints = get_type_hints(cls)
    plan = [(f.name, _BY_TYPE.get(hints[f.name])) for f in fields(cls)]  # type: ignore[arg-type]

    def to_row(r: sqlite3.Row) -> T:
        keys = r.keys()
        return cls(
            **{name: (conv(r[name]) if conv else r[name]) for name, conv in plan if name in keys}
        )

    return to_row


to_complaint = mapper(Complaint)
to_incident = mapper(Incident)
to_event = mapper(Event)
to_outbox = mapper(OutboxRow)
to_vendor_call = mapper(VendorCall)
to_dialog = mapper(Dialog)
