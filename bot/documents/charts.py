"""The recap's charts as data: bars, axis ticks and the standard's mark, drawn by the template.

The PDF template draws the bars itself (``_surat.typ``'s ``chart``): no plotting
library to import (matplotlib cost more CPU than the whole PDF), vector bars that
print sharp, and the same fonts as the text. Everything that decides what a chart
says (which sites, which bins, the axis) is here, in plain Python a test can check.
A month without complaints has no chart: the document says so in words instead of
drawing empty axes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.documents.data import AgendaRow
from bot.documents.period import Period

TOP_SITES = 6
BIN_MINUTES = 15
MAX_MINUTES = 240  # longer times go in the last bar ("> 240")
COLOURS = ("#1f4e79", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e")
LATE = "#c55a11"


@dataclass(frozen=True, slots=True)
class Chart:
    """Stacked bars: ``bars[i][k]`` is series ``k``'s count in slot ``i``."""

    title: str
    xlabel: str
    ylabel: str
    labels: tuple[str, ...]
    series: tuple[str, ...]  # legend names ("" for a chart without a legend)
    colours: tuple[tuple[str, ...], ...]  # per slot, per series
    bars: tuple[tuple[int, ...], ...]
    top: int  # the y axis' end
    ticks: tuple[int, ...]
    mark: float | None = None  # where the standard falls, as a fraction of the x axis
    mark_label: str = ""
    edges: bool = False  # labels name the bars' left edges (a histogram), not the bars

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "xlabel": self.xlabel,
            "ylabel": self.ylabel,
            "labels": list(self.labels),
            "series": list(self.series),
            "colours": [list(c) for c in self.colours],
            "bars": [list(b) for b in self.bars],
            "top": self.top,
            "ticks": list(self.ticks),
            "mark": self.mark,
            "mark_label": self.mark_label,
            "edges": self.edges,
        }


def axis(highest: int) -> tuple[int, tuple[int, ...]]:
    """An integer axis from 0 to a round number at or past ``highest``, at most six ticks."""
    step = 1
    while highest / step > 5:
        step = _next_step(step)
    top = max(step, -(-highest // step) * step)
    return top, tuple(range(0, top + 1, step))


def _mag(step: int) -> int:
    m = 1
    while m * 10 <= step:
        m *= 10
    return m


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50, ..."""
    m = _mag(step)
    lead = step // m
    return {1: 2 * m, 2: 5 * m}.get(lead, 10 * m)


def weeks(period: Period) -> list[tuple[int, int]]:
    """The month in weeks of seven days: (first day, last day) of each."""
    last = period.last.day if period.month else (period.last - period.first).days + 1
    return [(d, min(d + 6, last)) for d in range(1, last + 1, 7)]


def weekly_by_site(rows: Sequence[AgendaRow], period: Period, words: dict[str, str]) -> Chart:
    """Complaints per week, one colour per site (the busiest; the rest together)."""
    spans = weeks(period)
    unknown = words["site.unknown"]
    top_sites = [s for s, _ in Counter(r.site or unknown for r in rows).most_common(TOP_SITES)]
    names = [*top_sites, words["chart.others"]]
    counts = [[0] * len(names) for _ in spans]
    for r in rows:
        day = (r.received.date() - period.first).days
        i = min(max(day, 0) // 7, len(spans) - 1)
        site = r.site or unknown
        counts[i][names.index(site) if site in top_sites else len(names) - 1] += 1
    used = [k for k in range(len(names)) if any(c[k] for c in counts)]
    highest = max((sum(c) for c in counts), default=0)
    top, ticks = axis(highest)
    return Chart(
        title=words["chart.weekly"],
        xlabel=words["chart.week"],
        ylabel=words["chart.complaints"],
        labels=tuple(f"{a}-{b}" if a != b else str(a) for a, b in spans),
        series=tuple(names[k] for k in used),
        colours=tuple(tuple(COLOURS[k % len(COLOURS)] for k in used) for _ in spans),
        bars=tuple(tuple(c[k] for k in used) for c in counts),
        top=top,
        ticks=ticks,
    )


def resolution(rows: Sequence[AgendaRow], standard_minutes: float, words: dict[str, str]) -> Chart:
    """Histogram of the time from receipt to closing, bars past the standard in orange."""
    edges = list(range(0, MAX_MINUTES + BIN_MINUTES, BIN_MINUTES))  # 0, 15, ..., 240
    counts = [0] * len(edges)  # the last bin: longer than MAX_MINUTES
    for r in rows:
        if r.minutes is not None:
            counts[min(int(r.minutes // BIN_MINUTES), len(edges) - 1)] += 1
    top, ticks = axis(max(counts, default=0))
    marks = (str(e) if i % 2 == 0 else "" for i, e in enumerate(edges[:-1]))  # every 30 minutes
    return Chart(
        title=words["chart.resolution"],
        xlabel=words["chart.minutes"],
        ylabel=words["chart.complaints"],
        labels=(*marks, f"> {MAX_MINUTES}"),
        series=("",),
        colours=tuple((LATE if e >= standard_minutes else COLOURS[1],) for e in edges),
        bars=tuple((c,) for c in counts),
        top=top,
        ticks=ticks,
        mark=min(standard_minutes / (BIN_MINUTES * len(edges)), 1.0),
        mark_label=f"{words['chart.standard']} {standard_minutes:g}",
        edges=True,
    )
