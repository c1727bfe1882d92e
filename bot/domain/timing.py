"""Step timing against the SOP's standard times (mutu baku), from the stored timeline.

Pure: the timeline's step_start/step_end rows and the office calendar in, one
``StepTime`` per step out; the views only format them. An office is evaluated
on how well it keeps its SOPs, so every report computes the same figures here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.calendar import OfficeCalendar
from bot.domain.events import EventKind
from bot.domain.model import STEP, TOTAL_STANDARD
from checks.steps import CHECK_STEPS

Span = tuple[datetime, datetime]


class StepRow(Protocol):
    """What timing reads of a timeline row."""

    @property
    def kind(self) -> str: ...
    @property
    def step(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class StepTime:
    """One clock against its standard: a step's, the automated steps', or a whole complaint's.

    ``seconds`` counts office time when the clock pauses outside it (``paused`` says that
    made a difference of more than a minute); ``within`` is None when there is no standard
    or nothing was measured; ``mark`` is what the reports show: ok, late, running, none, auto.
    """

    no: int | str
    name: str
    seconds: float
    wall_seconds: float
    paused: bool
    times: int
    open: bool
    std_min: float | None
    std_max: float | None
    within: bool | None
    mark: str
    auto: bool = False


def standard_minutes(step: int) -> float:
    """The longest time the SOP allows for ``step``, in minutes (for a step that has one)."""
    longest = STEP[step].max_minutes
    if longest is None:
        raise ValueError(f"SOP step {step} has no standard time")
    return float(longest)


def total_standard(configured: float | None = None) -> tuple[float, float]:
    """The whole complaint's standard (least, most minutes), received -> report: the
    office's ``[sla] total_minutes`` if set, else the SOP table's sum (43-73). One
    definition for the chat reports, the SOP clock and the documents."""
    least, most = TOTAL_STANDARD
    if configured is None:
        return float(least), float(most)
    return min(float(least), configured), configured


def office_seconds(calendar: OfficeCalendar | None, start: datetime, end: datetime) -> float:
    """Seconds of ``[start, end)`` the SOP's clock counts (office time, if it pauses)."""
    if calendar is None:
        return max(0.0, (end - start).total_seconds())
    return calendar.office_time(start, end).total_seconds()


def clock(
    no: int | str,
    name: str,
    spans: list[Span],
    running: bool,
    std_min: float | None,
    std_max: float | None,
    calendar: OfficeCalendar | None,
) -> StepTime:
    """The time ``spans`` took against a standard; each span must keep it on its own."""
    wall = sum(((b - a).total_seconds() for a, b in spans), 0.0)
    counted = sum((office_seconds(calendar, a, b) for a, b in spans), 0.0)
    standard = None if std_max is None else timedelta(minutes=std_max).total_seconds()
    within = (
        None
        if standard is None or not spans
        else all(office_seconds(calendar, a, b) <= standard for a, b in spans)
    )
    mark = "running" if running else "none" if within is None else "ok" if within else "late"
    return StepTime(
        no=no,
        name=name,
        seconds=counted,
        wall_seconds=wall,
        paused=wall - counted >= 1,  # shown beside the office time, with the reason
        times=len(spans),
        open=running,
        std_min=std_min,
        std_max=std_max,
        within=within,
        mark=mark,
    )


def total(
    start: datetime,
    end: datetime,
    calendar: OfficeCalendar | None,
    *,
    running: bool = False,
    standard: float | None = None,
) -> StepTime:
    """A whole complaint (or incident), received -> ``end``, in office time, against
    ``total_standard(standard)``: what "within the standard" means everywhere."""
    return clock(0, "", [(start, end)], running, *total_standard(standard), calendar)


def covered_seconds(spans: Iterable[Span]) -> float:
    """How long at least one of ``spans`` ran: the checks of one round run side by side
    (their spans overlap), and the gap between two rounds is nobody's check time."""
    total, end = 0.0, None
    for a, b in sorted(spans):
        if end is None or a > end:
            total += (b - a).total_seconds()
            end = b
        elif b > end:
            total += (b - end).total_seconds()
            end = b
    return total


def compliance(
    events: Iterable[StepRow], now: datetime | None, calendar: OfficeCalendar | None
) -> list[StepTime]:
    """People's time in each SOP step against its mutu baku, from the timeline.

    Steps 2-6 are automated: one row with the machine's seconds beside the manual
    standard they replace, not five rows of "0,0 detik against 10-30 minutes". A step
    still running is measured up to ``now`` and marked as running, never ticked. With
    the office calendar, time outside office hours does not count (``paused``).
    """
    starts: dict[int, list[datetime]] = {}
    spans: dict[int, list[Span]] = {}
    for e in events:
        if e.step is None or e.kind not in (EventKind.STEP_START, EventKind.STEP_END):
            continue
        if e.kind == EventKind.STEP_START:
            starts.setdefault(e.step, []).append(e.at)
        elif starts.get(e.step):
            spans.setdefault(e.step, []).append((starts[e.step].pop(0), e.at))
    out = []
    auto = [s for no in CHECK_STEPS for s in spans.get(no, [])]
    for no in sorted((spans.keys() | starts.keys()) - set(CHECK_STEPS)):
        done = spans.get(no, [])
        running = [(t, now) for t in starts.get(no, []) if now is not None]
        step = STEP[no]
        out.append(
            clock(
                no,
                step.name,
                done + running,
                bool(starts.get(no)),
                step.min_minutes,
                step.max_minutes,
                calendar,
            )
        )
    if auto:
        lo = sum(STEP[n].min_minutes or 0 for n in CHECK_STEPS)
        hi = sum(STEP[n].max_minutes or 0 for n in CHECK_STEPS)
        row = replace(
            clock(0, "", auto, False, lo, hi, calendar),
            no="2-6",
            auto=True,
            mark="auto",
            seconds=covered_seconds(auto),
        )
        out.insert(1 if out and out[0].no == 1 else 0, row)
    return out
