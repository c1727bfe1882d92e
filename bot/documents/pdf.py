"""Documents as A4 PDF: the office-editable Typst templates, fed the document's data as JSON.

Typst (the ``typst`` wheel carries the compiler: no system libraries) rather than
WeasyPrint, by measurement (``bench/bench_documents.py``): the busiest month's recap,
834 rows on 30 pages, took WeasyPrint 9.6-19 s of CPU and 260 MB; Typst lays it out
in under a second. The layout still lives in templates the office can edit
(``bot/render/templates/<lang>/documents/*.typ``: kop, a table whose header repeats
on each page, page numbers, the signature block kept with its closing line), and
the data reaches them as JSON, never as markup, so nothing a reporter types can
change the document's layout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib.resources import as_file, files
from typing import Any

from bot.documents import charts
from bot.documents.breaks import breakable
from bot.documents.data import Agenda, AgendaRow
from bot.documents.figures import Summary
from bot.documents.table import COLUMNS, cells, headers, labels, printable, word
from bot.documents.writers import as_text, summary_lines
from bot.domain import timing
from bot.render.dates import date_of, short_weekday
from bot.settings.office import Office, Signatory

log = logging.getLogger(__name__)

BRIEF = 90  # characters of a complaint in the recap's table
CHECKS = 100  # characters of the checks column in the agenda's PDF ("…" marks a cut)
LONG = 200  # characters of a complaint in the agenda's PDF: a row must fit on a page (the
# CSV and XLSX carry the whole text; a Telegram message may hold 4,096 characters)


class DocumentError(RuntimeError):
    """A template the office edited does not compile; the message names the line."""


@cache
def _fonts() -> Any:
    """The fonts, found once per process (the system's DejaVu, else Typst's own)."""
    import typst

    return typst.Fonts(include_system_fonts=True, include_embedded_fonts=True)


def _cell(text: str, lang: str) -> str:
    return breakable(printable(text), lang)


def _shorten(text: str, limit: int, more: str = "") -> str:
    text = " ".join(printable(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…" + more


def _agenda_rows(rows: Sequence[AgendaRow], lang: str) -> list[dict[str, Any]]:
    more = " " + labels(lang)["cut"]
    out = []
    for r in rows:
        values = [as_text(v, lang) for v in cells(r, lang)]
        values[COLUMNS.index("text")] = _shorten(r.text, LONG, more)
        # The narrow last column: "-" says "not asked", where a blank would read as cut off.
        i = COLUMNS.index("recovery")
        values[i] = values[i] or labels(lang)["none"]
        checks = COLUMNS.index("checks")  # a narrow column: the findings in brief
        values[checks] = _shorten(values[checks], CHECKS)
        out.append({"cells": [_cell(v, lang) for v in values], "late": r.within is False})
    return out


def _rekap_rows(rows: Sequence[AgendaRow], lang: str) -> list[dict[str, Any]]:
    """Each row in the recap's seven columns, in the office's words."""
    w = labels(lang)
    out = []
    for r in rows:
        full = dict(zip(COLUMNS, (as_text(v, lang) for v in cells(r, lang)), strict=True))
        brief = _shorten(r.text, BRIEF)
        if r.findings:  # what decided the outage, in brief: the agenda has it whole
            brief += " — " + _shorten("; ".join(r.findings), BRIEF)
        action = ", ".join(word(w, "short.decision", a) for a in r.decisions)
        parts = [p for p in (action, r.officer) if p]
        if r.vendors:
            parts.append(", ".join(r.vendors) + (f" ({', '.join(r.tickets)})" if r.tickets else ""))
        state = word(w, "short.state", r.state)
        if r.minutes is not None:
            state = f"{state}, {round(r.minutes)} {w['short.minutes']}"
        who = " – ".join(p for p in (r.site, full["reporter"]) if p)
        number = " / ".join(p for p in (full["number"], full["incident"]) if p)
        when = f"{short_weekday(r.received.date(), lang)}, {full['date']} {full['time']}"
        out.append(
            {
                "cells": [
                    str(r.no),
                    when,
                    number,
                    _cell(who, lang),
                    _cell(brief, lang),
                    _cell(" · ".join(parts) or w["none"], lang),
                    _cell(state, lang),
                ],
                "late": r.within is False,
            }
        )
    return out


def letterhead(office: Office, signatory: Signatory, lang: str, signed_on: date) -> dict[str, Any]:
    """The kop and the signature block's fields, as ``_surat.typ`` reads them."""
    return {
        "office": {
            "government": office.government,
            "name": office.name,
            "address": office.address or "",
            "city": office.city,
        },
        "signatory": {
            "position": signatory.position,
            "name": signatory.name or "",
            "nip": signatory.nip or "",
        },
        "signed_on": date_of(signed_on, lang),
        "words": labels(lang),
    }


def _common(
    agenda: Agenda, lang: str, office: Office, signatory: Signatory, signed_on: date, title_key: str
) -> dict[str, Any]:
    words = labels(lang)
    return letterhead(office, signatory, lang, signed_on) | {
        "title": words[title_key],
        "period": agenda.period.words(lang),
        "year": str(agenda.period.last.year),
        "std": f"{agenda.standard_minutes:g}",
        "std_min": f"{timing.total_standard(agenda.standard_minutes)[0]:g}",
        "std_office": " " + words["std.office"] if agenda.office_time else "",
        "site": printable(agenda.site or ""),
    }


def _compile(lang: str, name: str, data: dict[str, Any]) -> bytes:
    """Compile ``templates/<lang>/documents/<name>`` with ``data`` as ``sys.inputs.data``."""
    import typst

    folder = files("bot.render") / "templates" / lang / "documents"
    if not folder.joinpath(name).is_file():
        folder = files("bot.render") / "templates" / "id" / "documents"
    with as_file(folder) as root:
        try:
            pdf = typst.compile(
                str(root / name),
                root=str(root),
                font_paths=_fonts(),
                format="pdf",
                sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                pdf_tags=False,
            )
        except typst.TypstError as exc:
            raise DocumentError(f"{name}: {exc.message} {exc.diagnostic}".strip()) from exc
    assert isinstance(pdf, bytes)
    return pdf


def rekap_pdf(
    agenda: Agenda,
    summary: Summary,
    lang: str,
    office: Office,
    signatory: Signatory,
    signed_on: date,
) -> bytes:
    """The monthly Rekapitulasi as PDF bytes (CPU-bound: run it in a thread)."""
    data = _common(agenda, lang, office, signatory, signed_on, "rekap.title")
    words = data["words"]
    lines = summary_lines(summary, lang, agenda.standard_minutes, agenda.office_time)
    data["summary"] = [[key, value] for key, value in lines]
    data["rows"] = _rekap_rows(agenda.rows, lang)
    data["charts"] = (
        [
            charts.weekly_by_site(agenda.rows, agenda.period, words).as_dict(),
            charts.resolution(agenda.rows, agenda.standard_minutes, words).as_dict(),
        ]
        if agenda.rows
        else []
    )
    return _compile(lang, "rekap.typ", data)


def agenda_pdf(
    agenda: Agenda, lang: str, office: Office, signatory: Signatory, signed_on: date
) -> bytes:
    """The Buku Agenda as PDF bytes (A4 landscape)."""
    data = _common(agenda, lang, office, signatory, signed_on, "agenda.title")
    data["headers"] = [breakable(h, lang) for h in headers(lang)]
    data["rows"] = _agenda_rows(agenda.rows, lang)
    return _compile(lang, "agenda.typ", data)


def berita_acara_pdf(data: dict[str, Any], lang: str) -> bytes:
    """The Berita Acara Gangguan Jaringan as PDF bytes (``bot/sop/berita.py`` gathers ``data``)."""
    return _compile(lang, "berita_acara.typ", data)
