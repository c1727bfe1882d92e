"""Turn stored complaints and results into rendered messages (text + buttons).

All wording is in the templates; this module only prepares what they show
(local times, step timing against the SOP, finding hints) and builds the
inline keyboards with callback data from ``bot.callbacks``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from jinja2 import TemplateNotFound

from bot.render import environment, render
from bot.render.fit import excerpt
from bot.sop.model import STEP, elapsed_vs_standard
from bot.storage.rows import Complaint, Event, Incident
from bot.telegram import callbacks
from checks.models import CheckResult, Finding
from checks.steps import CHECK_STEPS

log = logging.getLogger(__name__)

EXCERPT = 600  # characters of a complaint shown in reports; /lacak shows more
LONG_EXCERPT = 2500
GROUP_EXCERPT = 60  # first words of each complaint in an incident's list
MAX_FINDINGS = 6  # per step, to keep a diagnosis inside one message

Markup = dict[str, Any]


class Views:
    """Renderers for one language and time zone."""

    def __init__(self, lang: str, tz: tzinfo) -> None:
        self.lang = lang
        self.tz = tz

    # --- formatting helpers handed to templates ---------------------------------------------

    def local(self, t: datetime | None) -> datetime | None:
        return t.astimezone(self.tz) if t else None

    def hm(self, t: datetime | None) -> str:
        lt = self.local(t)
        return lt.strftime("%H:%M") if lt else "-"

    def when(self, t: datetime | None) -> str:
        lt = self.local(t)
        return lt.strftime("%d-%m-%Y %H:%M") if lt else "-"

    def html(self, template: str, **ctx: Any) -> str:
        """Render ``<template>.html.j2``."""
        return render(self.lang, f"{template}.html.j2", hm=self.hm, when=self.when, **ctx)

    def plain(self, table: str, key: str, **ctx: Any) -> str:
        """Render one entry of a plain-text table (button labels, callback answers)."""
        return render(self.lang, f"{table}.txt.j2", key=key, **ctx)

    def label(self, key: str, **ctx: Any) -> str:
        return self.plain("buttons", key, **ctx)

    def answer(self, key: str, **ctx: Any) -> str:
        return self.plain("answers", key, **ctx)[:200]

    # --- pieces -----------------------------------------------------------------------------

    def complaint(self, c: Complaint, limit: int = EXCERPT) -> dict[str, Any]:
        text, cut = excerpt(c.text, limit)
        return {
            "id": c.id,
            "tag": c.tag,
            "state": str(c.state),
            "site": c.site,
            "reporter": c.reporter_name,
            "filed_by": c.filed_by_name,
            "channel": c.channel,
            "text": text,
            "truncated": cut,
            "length": len(c.text),
            "created": c.created_at,
            "closed": c.closed_at,
            "round": c.round,
            "incident": c.incident_id,
        }

    def incident(self, inc: Incident) -> dict[str, Any]:
        return {"id": inc.id, "tag": inc.tag, "site": inc.site, "state": inc.state,
                "round": inc.round, "decided": inc.decided_at, "created": inc.created_at}

    def group(self, complaints: list[Complaint], details: int | None = None
              ) -> dict[str, Any]:
        """An incident's complaints: every tag, and the first ``details`` of them in detail
        (reporter, site, first words); the rest are counted, so a long list still fits."""
        shown = complaints if details is None else complaints[:details]
        return {
            "count": len(complaints),
            "tags": [c.tag for c in complaints],
            "details": [self.complaint(c, GROUP_EXCERPT) for c in shown],
            "more": len(complaints) - len(shown),
        }

    def _finding_macros(self) -> Any | None:
        try:
            return environment(self.lang).get_template("findings.j2").module
        except TemplateNotFound:
            return None

    def finding(self, f: Finding) -> str:
        """One plain-language hint (the diagnostics' findings.j2 when present, else the code)."""
        macros = self._finding_macros()
        if macros is not None and hasattr(macros, "finding"):
            try:
                return str.__str__(macros.finding(f)).strip()
            except Exception:  # a hint must never break the report
                log.exception("findings.j2 could not render %s", f.code)
        subject = f" ({f.subject})" if f.subject else ""
        return f"{f.code}{subject}"

    def step_name(self, no: int) -> str | None:
        macros = self._finding_macros()
        if macros is not None and hasattr(macros, "step_name"):
            try:
                return str.__str__(macros.step_name(no)).strip() or None
            except Exception:
                log.exception("findings.j2 could not name step %s", no)
        return None

    def steps(self, checks: Iterable[CheckResult]) -> list[dict[str, Any]]:
        """Steps 2-6 with the newest result of each (None while it runs)."""
        latest = {r.step: r for r in checks}
        out = []
        said: set[str] = set()  # an unreachable agent fails every step: say it once
        for no in CHECK_STEPS:
            r = latest.get(no)
            item: dict[str, Any] = {
                "no": no,
                "sop_name": STEP[no].name,
                "name": self.step_name(no),
                "status": None,
                "std_min": STEP[no].min_minutes,
                "std_max": STEP[no].max_minutes,
                # A step that never ran (the diagnosis failed) still renders in every report.
                "seconds": None,
                "within": None,
                "findings": [],
                "more": 0,
                "summary": None,
            }
            if r is not None:
                _, _, within = elapsed_vs_standard(no, r.duration_s)
                texts = [(f, self.finding(f)) for f in r.findings]
                texts = [(f, t) for f, t in texts
                         if not (f.code.startswith("agent.") and t in said)]
                said.update(t for f, t in texts if f.code.startswith("agent."))
                shown = texts[:MAX_FINDINGS]
                item.update(
                    status=str(r.status),
                    seconds=r.duration_s,
                    within=within,
                    findings=[{"severity": str(f.severity), "text": t} for f, t in shown],
                    more=max(0, len(texts) - len(shown)),
                    summary=r.summary,
                )
            out.append(item)
        return out

    def compliance(self, events: Iterable[Event]) -> list[dict[str, Any]]:
        """Time spent in each SOP step (start/end pairs from the timeline) against its standard."""
        starts: dict[int, list[datetime]] = {}
        spent: dict[int, list[float]] = {}
        for e in events:
            if e.step is None or e.kind not in ("step_start", "step_end"):
                continue
            if e.kind == "step_start":
                starts.setdefault(e.step, []).append(e.at)
            elif starts.get(e.step):
                began = starts[e.step].pop(0)
                spent.setdefault(e.step, []).append(max(0.0, (e.at - began).total_seconds()))
        out = []
        for no in sorted(spent.keys() | starts.keys()):
            durations = spent.get(no, [])
            checks = [STEP[no].within_standard(timedelta(seconds=s)) for s in durations]
            out.append({
                "no": no,
                "name": STEP[no].name,
                "seconds": sum(durations),
                "times": len(durations),
                "open": bool(starts.get(no)),
                "std_min": STEP[no].min_minutes,
                "std_max": STEP[no].max_minutes,
                "within": None if STEP[no].standard is None else all(checks),
            })
        return out

    # --- keyboards --------------------------------------------------------------------------

    @staticmethod
    def keyboard(rows: list[list[tuple[str, str]]]) -> Markup:
        return {
            "inline_keyboard": [
                [{"text": text, "callback_data": data} for text, data in row] for row in rows
            ]
        }

    def decision_keyboard(self, iid: int) -> Markup:
        return self.keyboard([
            [(self.label("ya"), callbacks.make("dec", iid, "ya")),
             (self.label("tidak"), callbacks.make("dec", iid, "no"))],
            [(self.label("cek_ulang"), callbacks.make("dec", iid, "re"))],
        ])

    def jf_keyboard(self, iid: int) -> Markup:
        return self.keyboard([
            [(self.label("fixed"), callbacks.make("jf", iid, "fix"))],
            [(self.label("vendor"), callbacks.make("jf", iid, "ven"))],
        ])

    def vendor_keyboard(self, iid: int, names: list[str]) -> Markup:
        return self.keyboard(
            [[(self.label("vendor_called", vendor=n), callbacks.make("ven", iid, str(i)))]
             for i, n in enumerate(names)]
            + [[(self.label("fixed"), callbacks.make("jf", iid, "fix"))]]
        )

    def still_down_keyboard(self, cid: int) -> Markup:
        return self.keyboard([[(self.label("still_down"), callbacks.make("kel", cid, "masih"))]])

    def site_keyboard(self, sites: list[str]) -> Markup:
        rows = [[(s, callbacks.make("lap", i, "pick"))] for i, s in enumerate(sites)]
        rows.append([(self.label("other_site"), callbacks.make("lap", 0, "other"))])
        rows.append([(self.label("cancel"), callbacks.make("lap", 0, "cancel"))])
        return self.keyboard(rows)
