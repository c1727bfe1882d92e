"""The recap's figures, defined once: every format (PDF, XLSX, CSV, text) prints these.

A share always carries its denominator. The SOP's standard time is kept or missed only
by a complaint that was closed as a network fault: one still open has not finished
(it is neither within nor late yet), and one closed as not a network fault (``/tutup``)
never ran the SOP's course. So "within the standard" is counted over the closed
network-fault complaints, and the documents say so in words.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.documents.data import AgendaRow

CLOSED, DISMISSED = "closed", "dismissed"


@dataclass(frozen=True, slots=True)
class Share:
    """``part`` of ``whole``; no ratio when ``whole`` is 0 (nothing to measure yet)."""

    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True, slots=True)
class Summary:
    """The recap's figures over one period's complaints."""

    complaints: int  # received in the period
    incidents: int
    closed: int  # closed as a network fault (the network runs normally again)
    dismissed: int  # closed as not a network fault (/tutup)
    open: int  # still being handled
    within: Share  # closed within the standard time, of the closed network-fault complaints
    median_minutes: float | None  # over the closed network-fault complaints
    p90_minutes: float | None
    busiest_sites: tuple[tuple[str, int], ...]
    vendor_incidents: int
    vendor_calls: tuple[tuple[str, int], ...]  # vendor name, incidents it was called about
    escalated: int  # complaints whose incident got a "Tidak" (reported to the JF ADB)
    by_state: tuple[tuple[str, int], ...]


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile by the nearest-rank method (a value that occurred: easy to check)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _outage(r: AgendaRow) -> int:
    """The outage a row belongs to: its incident, else the complaint alone (negative id)."""
    return r.incident_id if r.incident_id is not None else -r.complaint_id


def summarise(rows: Sequence[AgendaRow], top: int = 5) -> Summary:
    """The figures from the agenda's rows (so a test can recompute them from the CSV)."""
    closed = [r for r in rows if r.state == CLOSED and r.minutes is not None]
    minutes = [r.minutes for r in closed if r.minutes is not None]
    vendor_incidents: dict[int, set[str]] = {}
    for r in rows:
        if r.vendors and r.incident_id is not None:
            vendor_incidents.setdefault(r.incident_id, set()).update(r.vendors)
    per_vendor = Counter(v for names in vendor_incidents.values() for v in names)
    # An outage answered "Tidak" (a complaint outside any outage is its own).
    escalated_incidents = {_outage(r) for r in rows if "tidak" in r.decisions}
    dismissed = sum(1 for r in rows if r.state == DISMISSED)
    return Summary(
        complaints=len(rows),
        incidents=len({_outage(r) for r in rows}),
        closed=len(closed),
        dismissed=dismissed,
        open=len(rows) - len(closed) - dismissed,
        within=Share(sum(1 for r in closed if r.within), len(closed)),
        median_minutes=statistics.median(minutes) if minutes else None,
        p90_minutes=nearest_rank(minutes, 0.9),
        busiest_sites=tuple(Counter(r.site for r in rows).most_common(top)),  # "": unknown
        vendor_incidents=len(vendor_incidents),
        vendor_calls=tuple(sorted(per_vendor.items(), key=lambda kv: (-kv[1], kv[0]))),
        escalated=sum(
            1 for r in rows if _outage(r) in escalated_incidents and r.state != DISMISSED
        ),
        by_state=tuple(sorted(Counter(r.state for r in rows).items())),
    )


def percent(share: Share, lang: str) -> str:
    """ "92,9%" in Indonesian, "92.9%" in English; "-" when there is nothing to measure."""
    ratio = share.ratio
    if ratio is None:
        return "-"
    from babel.numbers import format_decimal  # documents only: Babel's tables stay out of chat

    return format_decimal(ratio * 100, "0.0", locale=lang) + "%"
