"""The Buku Agenda as CSV, XLSX and terminal text.

CSV is for the spreadsheet programs of Indonesian offices: UTF-8 with a BOM (so
Excel reads the encoding), ``,`` or ``;`` (Excel with Indonesian regional
settings splits on ``;``), dates dd/mm/yyyy and times HH:MM (``bot.render.dates``),
and every text cell that a spreadsheet would run as a formula neutralised (OWASP
CSV Injection).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Any

from bot.documents.data import Agenda
from bot.documents.figures import Summary, percent
from bot.documents.table import COLUMNS, Cell, cells, headers, labels, neutral, printable
from bot.render import render
from bot.render.dates import sheet_time, short_date, short_moment, time_of

BOM = "\ufeff"


def as_text(value: Cell, lang: str) -> str:
    """A cell as people read it in a table's narrow column (PDF, terminal): "02/12/2026 10.15"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return short_moment(value, lang)
    if isinstance(value, date):
        return short_date(value)
    if isinstance(value, time):
        return time_of(value, lang)
    return str(value)


def _csv_text(value: Cell, lang: str) -> str:
    """A CSV cell: dates and times as spreadsheet programs read them ("02/12/2026 10:15")."""
    if isinstance(value, str):
        return neutral(value)
    if isinstance(value, datetime):
        return f"{short_date(value)} {sheet_time(value)}"
    if isinstance(value, time):
        return sheet_time(value)
    return as_text(value, lang)


def agenda_csv(agenda: Agenda, lang: str, delimiter: str = ",") -> bytes:
    """The table as CSV bytes: BOM, header row, one row per complaint."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutral(h) for h in headers(lang)])
    for r in agenda.rows:
        writer.writerow([_csv_text(v, lang) for v in cells(r, lang)])
    return (BOM + out.getvalue()).encode("utf-8")


def agenda_xlsx(agenda: Agenda, lang: str, title: str, summary: Summary | None = None) -> bytes:
    """The table as an XLSX workbook (real dates, a frozen header); a summary sheet if given."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.cell.cell import Cell as XlCell
    from openpyxl.styles import Alignment, Font

    w = labels(lang)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(w["sheet.agenda"])
    ws.freeze_panes = "A3"
    widths = (5, 9, 11, 6, 10, 10, 22, 22, 45, 18, 28, 18, 24, 18, 12, 16, 10, 10, 12)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[_col(i)].width = width
    bold = Font(bold=True)

    def text_cell(value: Any, font: Font | None = None) -> XlCell:
        if isinstance(value, str):  # XML cannot hold control characters (ESC, BEL, ...)
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # stored as text whatever it starts with: never a formula
        if font is not None:
            c.font = font
        return c

    ws.append([text_cell(f"{title} - {agenda.period.words(lang)}", bold)])
    ws.append([text_cell(h, bold) for h in headers(lang)])
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in agenda.rows:
        row = []
        for v in cells(r, lang):
            c = text_cell(v)
            if isinstance(v, datetime):
                c.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(v, date):
                c.number_format = "DD/MM/YYYY"
            elif isinstance(v, time):
                c.number_format = "HH:MM"
            elif isinstance(v, str) and len(v) > 40:
                c.alignment = wrap
            row.append(c)
        ws.append(row)
    if summary is not None:
        ss = wb.create_sheet(w["sheet.summary"])
        ss.column_dimensions["A"].width = 48
        ss.column_dimensions["B"].width = 16
        for key, value in summary_lines(summary, lang, agenda.standard_minutes, agenda.office_time):
            ss.append([text_cell(key), text_cell(value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i))


def summary_lines(
    s: Summary, lang: str, standard_minutes: float, office_time: bool = False
) -> list[tuple[str, str]]:
    """The figures as (label, value) lines, worded once in ``documents/summary.txt.j2``.

    The PDF, the XLSX summary sheet and the text agenda print these same lines, so a
    share reads the same, with the same denominator, in every format."""
    unit = labels(lang)["chart.minutes"].lower()
    text = render(
        lang,
        "documents/summary.txt.j2",
        s=s,
        std=f"{standard_minutes:g}",
        office_time=office_time,
        pct=lambda share: percent(share, lang),
        mins=lambda m: "-" if m is None else f"{m:.0f} {unit}",
        unknown=labels(lang)["site.unknown"],
    )
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition("|")
        if sep:
            out.append((key.strip(), value.strip()))
    return out


def agenda_text(agenda: Agenda, lang: str, now: str, summary: Summary | None = None) -> str:
    """The agenda for a terminal, every stored text stripped of control characters."""
    rows = []
    for r in agenda.rows:
        rows.append(
            {k: printable(as_text(v, lang)) for k, v in zip(COLUMNS, cells(r, lang), strict=True)}
            | {"open": r.state not in ("closed", "dismissed"), "dismissed": r.state == "dismissed"}
        )
    return (
        render(
            lang,
            "documents/agenda.txt.j2",
            rows=rows,
            now=now,
            period=agenda.period.words(lang),
            site=printable(agenda.site or ""),
            words=labels(lang),
            summary=[
                (printable(k), printable(v))
                for k, v in summary_lines(
                    summary, lang, agenda.standard_minutes, agenda.office_time
                )
            ]
            if summary is not None
            else [],
        )
        + "\n"
    )
