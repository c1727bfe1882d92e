"""Documents as A4 PDF: the jinja2 templates rendered to HTML, laid out by WeasyPrint.

WeasyPrint rather than a canvas library (reportlab): the layout lives in the
office-editable HTML/CSS templates (kop, tables that repeat their header on each
page, page numbers, the signature block kept whole), not in Python code.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.documents import charts
from bot.documents.data import SOP_MIN_MINUTES, Agenda, AgendaRow, Summary
from bot.documents.period import long_date, short_day_name
from bot.documents.table import COLUMNS, cells, headers, labels, printable
from bot.documents.writers import as_text
from bot.render import render
from bot.settings.office import Office, Signatory

log = logging.getLogger(__name__)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


BRIEF = 90  # characters of a complaint in the recap's table (the agenda has it whole)


def _rows(rows: Sequence[AgendaRow], lang: str) -> list[dict[str, Any]]:
    """Each row's cells as text, and the recap's one-line forms."""
    w = labels(lang)
    out = []
    for r in rows:
        view: dict[str, Any] = {
            k: printable(as_text(v)) for k, v in zip(COLUMNS, cells(r, lang), strict=True)
        }
        view["late"] = r.within is False
        view["minutes"] = round(r.minutes) if r.minutes is not None else None
        text = " ".join(printable(r.text).split())
        view["brief"] = text if len(text) <= BRIEF else text[: BRIEF - 1].rstrip() + "…"
        view["short_day"] = short_day_name(r.received.date(), lang)
        action = ", ".join(w.get(f"short.decision.{a}", a) for a in r.decisions)
        parts = [p for p in (action, r.officer) if p]
        if r.vendors:
            parts.append(", ".join(r.vendors) + (f" ({', '.join(r.tickets)})" if r.tickets else ""))
        view["short_action"] = " · ".join(parts) or "-"
        state = w.get(f"short.state.{r.state}", r.state)
        view["short_state"] = (
            f"{state}, {view['minutes']} {w['short.minutes']}"
            if view["minutes"] is not None
            else state
        )
        out.append(view)
    return out


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


def _common(
    agenda: Agenda, lang: str, office: Office, signatory: Signatory, signed_on: date, title_key: str
) -> dict[str, Any]:
    words = labels(lang)
    minutes = words["chart.minutes"].lower()
    return {
        "office": office,
        "signatory": signatory,
        "words": words,
        "title": words[title_key],
        "period": agenda.period.words(lang),
        "year": agenda.period.last.year,
        "signed_on": long_date(signed_on, lang),
        "std": agenda.standard_minutes,
        "std_min": SOP_MIN_MINUTES,
        "rows": _rows(agenda.rows, lang),
        "headers": headers(lang),
        "site": agenda.site or "",
        "pct": _pct,
        "mins": lambda m: "-" if m is None else f"{m:.0f} {minutes}",
    }


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):  # per-glyph chatter at INFO/DEBUG
        logging.getLogger(name).setLevel(logging.WARNING)
    return bytes(HTML(string=html).write_pdf())


def rekap_pdf(
    agenda: Agenda,
    summary: Summary,
    lang: str,
    office: Office,
    signatory: Signatory,
    signed_on: date,
) -> bytes:
    """The monthly Rekapitulasi as PDF bytes (CPU-bound: run it in a thread)."""
    ctx = _common(agenda, lang, office, signatory, signed_on, "rekap.title")
    words = ctx["words"]
    ctx.update(
        s_=summary,
        chart_weekly=_data_uri(charts.weekly_by_site(agenda.rows, agenda.period, words)),
        chart_resolution=_data_uri(charts.resolution(agenda.rows, agenda.standard_minutes, words)),
    )
    return _pdf(render(lang, "documents/rekap.html.j2", **ctx))


def agenda_pdf(
    agenda: Agenda, lang: str, office: Office, signatory: Signatory, signed_on: date
) -> bytes:
    """The Buku Agenda as PDF bytes (A4 landscape)."""
    ctx = _common(agenda, lang, office, signatory, signed_on, "agenda.title")
    return _pdf(render(lang, "documents/agenda.html.j2", **ctx))
