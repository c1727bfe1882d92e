"""The recap laid out by WeasyPrint, for bench/bench_documents.py to set beside Typst.

The product renders with Typst (bot/documents/pdf.py says why). This is WeasyPrint
given its best chance on the same data: the same rows, summary lines, break points
(bot/documents/breaks.py) and chart data, the per-cell ``overflow-wrap: anywhere``
removed, the charts as small inline SVG instead of matplotlib PNGs.
"""

from __future__ import annotations

import logging
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.documents import charts, pdf
from bot.documents.data import Agenda
from bot.documents.figures import Summary
from bot.documents.writers import summary_lines
from bot.settings.office import Office, Signatory

HERE = Path(__file__).resolve().parent


def svg(c: charts.Chart, width: float = 600, height: float = 150) -> str:
    """A stacked bar chart as inline SVG (the same data the Typst template draws)."""
    left, bottom = 40.0, 30.0
    w, h = width - left - 10, height - bottom - 20
    slot = w / len(c.labels)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">']
    out.append(
        f'<text x="{width / 2}" y="12" font-size="9" text-anchor="middle">{escape(c.title)}</text>'
    )
    for t in c.ticks:
        y = 20 + h - h * t / c.top
        out.append(f'<text x="{left - 4}" y="{y + 3}" font-size="7" text-anchor="end">{t}</text>')
    for i, stack in enumerate(c.bars):
        y = 20 + h
        for k, v in enumerate(stack):
            if v:
                bar = h * v / c.top
                y -= bar
                out.append(
                    f'<rect x="{left + slot * i + slot * 0.15}" y="{y}" '
                    f'width="{slot * 0.7}" height="{bar}" fill="{c.colours[i][k]}"/>'
                )
        out.append(
            f'<text x="{left + slot * (i + 0.5)}" y="{30 + h}" font-size="7" '
            f'text-anchor="middle">{escape(c.labels[i])}</text>'
        )
    out.append(f'<line x1="{left}" y1="{20 + h}" x2="{left + w}" y2="{20 + h}" stroke="black"/>')
    out.append("</svg>")
    return "".join(out)


def rekap_pdf(
    agenda: Agenda,
    summary: Summary,
    lang: str,
    office: Office,
    signatory: Signatory,
    signed_on: date,
) -> bytes:
    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    data: dict[str, Any] = pdf._common(agenda, lang, office, signatory, signed_on, "rekap.title")
    words = data["words"]
    env = Environment(
        loader=FileSystemLoader(HERE),
        autoescape=select_autoescape(enabled_extensions=("j2",)),
        undefined=StrictUndefined,
    )
    data.update(office=office, signatory=signatory)
    html = env.get_template("rekap.html.j2").render(
        **data,
        summary=summary_lines(summary, lang, agenda.standard_minutes),
        rows=pdf._rekap_rows(agenda.rows, lang),
        charts=[
            svg(charts.weekly_by_site(agenda.rows, agenda.period, words)),
            svg(charts.resolution(agenda.rows, agenda.standard_minutes, words)),
        ]
        if agenda.rows
        else [],
    )
    return bytes(HTML(string=html).write_pdf())
