"""The recap's charts as PNG bytes, drawn with matplotlib's Agg backend (no display needed).

Figures are built with ``matplotlib.figure.Figure``, not ``pyplot``: no global state,
so two recaps drawn at once (the monthly send and a /rekap) do not mix.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.documents.data import AgendaRow
from bot.documents.period import Period

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Size on the page: 16 x 5.6 cm at 150 dpi, sharp when printed; both fit under the summary.
WIDTH_IN, HEIGHT_IN, DPI = 6.3, 2.2, 150
SIZE_PX = (round(WIDTH_IN * DPI), round(HEIGHT_IN * DPI))
TOP_SITES = 6
BIN_MINUTES = 15
MAX_MINUTES = 240  # longer times go in the last bar ("> 240")
COLOURS = ("#1f4e79", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e")


def _figure() -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    fig.set_layout_engine("constrained")
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def weeks(period: Period) -> list[tuple[int, int]]:
    """The month in weeks of seven days: (first day, last day) of each."""
    last = period.last.day if period.month else (period.last - period.first).days + 1
    return [(d, min(d + 6, last)) for d in range(1, last + 1, 7)]


def weekly_by_site(rows: Sequence[AgendaRow], period: Period, words: dict[str, str]) -> bytes:
    """Stacked bars: complaints per week, one colour per site (the busiest; the rest together)."""
    spans = weeks(period)
    top = [s for s, _ in Counter(r.site or "-" for r in rows).most_common(TOP_SITES)]
    counts: dict[str, list[int]] = {s: [0] * len(spans) for s in [*top, words["chart.others"]]}
    for r in rows:
        day = (r.received.date() - period.first).days
        i = min(max(day, 0) // 7, len(spans) - 1)
        site = r.site or "-"
        counts[site if site in top else words["chart.others"]][i] += 1
    from matplotlib.ticker import MaxNLocator

    fig = _figure()
    ax = fig.add_subplot()
    labels = [f"{a}-{b}" if a != b else str(a) for a, b in spans]
    bottom = [0] * len(spans)
    for n, (site, values) in enumerate(counts.items()):
        if not any(values):
            continue
        ax.bar(
            labels, values, bottom=bottom, label=site, color=COLOURS[n % len(COLOURS)], width=0.6
        )
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.set_title(words["chart.weekly"], fontsize=9)
    ax.set_xlabel(words["chart.week"], fontsize=8)
    ax.set_ylabel(words["chart.complaints"], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if rows:
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def resolution(rows: Sequence[AgendaRow], standard_minutes: float, words: dict[str, str]) -> bytes:
    """Histogram of the time from receipt to closing, with the SOP's standard marked."""
    minutes = [min(r.minutes, MAX_MINUTES + BIN_MINUTES / 2) for r in rows if r.minutes is not None]
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    edges = list(range(0, MAX_MINUTES + BIN_MINUTES + 1, BIN_MINUTES))
    fig = _figure()
    ax = fig.add_subplot()
    if minutes:
        ax.hist(minutes, bins=edges, color=COLOURS[1], edgecolor="white")
        for patch in ax.patches:  # the bars past the standard in the warning colour
            if isinstance(patch, Rectangle) and patch.get_x() >= standard_minutes:
                patch.set_facecolor(COLOURS[3])
    ax.axvline(standard_minutes, color="#c00000", linestyle="--", linewidth=1)
    ax.text(
        standard_minutes + 2,
        0.95,
        f"{words['chart.standard']} {standard_minutes:g}",
        transform=ax.get_xaxis_transform(),
        fontsize=7,
        color="#c00000",
        va="top",
    )
    marks = list(range(0, MAX_MINUTES, 2 * BIN_MINUTES))
    ax.set_xticks([*marks, MAX_MINUTES + BIN_MINUTES / 2], [*map(str, marks), f"> {MAX_MINUTES}"])
    ax.set_title(words["chart.resolution"], fontsize=9)
    ax.set_xlabel(words["chart.minutes"], fontsize=8)
    ax.set_ylabel(words["chart.complaints"], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
