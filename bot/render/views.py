"""Turn stored complaints and results into rendered messages (text + buttons).

All wording is in the templates; this module only prepares what they show
(local times, finding hints; step timing is computed in ``bot.domain.timing``) and builds the
inline keyboards with callback data from ``bot.render.buttons``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from jinja2 import TemplateNotFound

from bot.domain import timing
from bot.domain.calendar import OfficeCalendar
from bot.domain.decisive import DECISIVE
from bot.domain.model import SOP_NUMBER, STEP
from bot.render import buttons, dates, environment, listing, render
from bot.render.fit import LIMIT, excerpt
from bot.storage.rows import Complaint, Incident
from checks.models import CheckResult, Finding
from checks.steps import CHECK_STEPS

log = logging.getLogger(__name__)

EXCERPT = 600  # characters of a complaint shown in reports; /lacak shows more
LONG_EXCERPT = 2500
GROUP_EXCERPT = 60  # first words of each complaint in an incident's list
MAX_FINDINGS = 6  # per step, to keep a diagnosis inside one message

Markup = dict[str, Any]


# Findings whose wording is a set-up instruction for the ADB, not a finding about the network.
SETUP_HINTS = frozenset(
    {"software.not_configured", "services.not_configured", "ping.no_targets", "ping.unavailable"}
)
# An agent the bot cannot ask because of how the two are set up (token, address, certificate).
AGENT_SETUP_HINTS = frozenset(
    {
        "agent.unauthorized",
        "agent.no_token",
        "agent.bad_token",
        "agent.tls_error",
        "agent.insecure_url",
        "agent.bad_url",
    }
)


def _whole(minutes: float) -> float | int:
    """73.0 -> 73, as a standard time is written; 7.5 stays."""
    return int(minutes) if float(minutes).is_integer() else minutes


class Views:
    """Renderers for one language and time zone."""

    def __init__(
        self,
        lang: str,
        tz: tzinfo,
        calendar: OfficeCalendar | None = None,
        staff: Mapping[int, str] | None = None,
        total_minutes: float | None = None,
    ) -> None:
        self.lang = lang
        self.tz = tz
        self.calendar = calendar  # None: every minute counts
        self.total_minutes = total_minutes  # [sla] total_minutes; None: the SOP table's
        self.sop_total = tuple(_whole(m) for m in timing.total_standard(total_minutes))
        self.staff = dict(staff or {})  # Telegram id -> the name the office uses ([[staff]])

    def total(self, start: datetime, end: datetime, *, running: bool = False) -> timing.StepTime:
        """A whole complaint's (or incident's) time against the office's total standard."""
        return timing.total(start, end, self.calendar, running=running, standard=self.total_minutes)

    def person(self, user_id: int | None, fallback: str | None) -> str:
        """Someone as the office names them: their [[staff]] name, else their Telegram one."""
        return (
            self.staff.get(user_id, fallback or "-") if user_id is not None else (fallback or "-")
        )

    # --- formatting helpers handed to templates ---------------------------------------------

    def local(self, t: datetime | None) -> datetime | None:
        return t.astimezone(self.tz) if t else None

    # One style per kind (``bot.render.dates``): "10.15", "Rabu, 2 Desember 2026",
    # "2 Desember 2026 pukul 10.15 WIB"; "-" for a moment that has not happened.

    def hm(self, t: datetime | None) -> str:
        lt = self.local(t)
        return dates.time_of(lt, self.lang) if lt else "-"

    def when(self, t: datetime | None) -> str:
        lt = self.local(t)
        return dates.moment(lt, self.lang) if lt else "-"

    def day(self, t: datetime | None) -> str:
        lt = self.local(t)
        return dates.day_of(lt.date(), self.lang) if lt else "-"

    def html(self, template: str, **ctx: Any) -> str:
        """Render ``<template>.html.j2``."""
        return render(
            self.lang,
            f"{template}.html.j2",
            hm=self.hm,
            when=self.when,
            day=self.day,
            sop_number=SOP_NUMBER,
            sop_total=self.sop_total,
            person=self.person,
            **ctx,
        )

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
            # closed as not a network fault reads apart from "the network runs normally"
            "state": "dismissed" if c.dismissed else str(c.state),
            "dismissed": c.dismissed,
            "site": c.site,
            "reporter": self.person(c.reporter_id, c.reporter_name),
            "filed_by": self.person(c.filed_by_id, c.filed_by_name) if c.filed_by_name else None,
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
        return {
            "id": inc.id,
            "tag": inc.tag,
            "site": inc.site,
            "state": inc.state,
            "round": inc.round,
            "decided": inc.decided_at,
            "created": inc.created_at,
            "monitored": inc.found_by == "monitor",
        }

    def group(
        self, complaints: list[Complaint], details: int | None = None, listed: int | None = None
    ) -> dict[str, Any]:
        """An incident's complaints: the first ``listed`` tags (all by default; the prompt's
        continuations list the rest), and the first ``details`` of them in detail
        (reporter, site, first words); the rest are counted, so a long list still fits."""
        shown = complaints if details is None else complaints[:details]
        tags = [c.tag for c in complaints]
        listed = len(tags) if listed is None else listed
        return {
            "count": len(complaints),
            "tags": tags[:listed],
            "unlisted": len(tags) - listed,
            "details": [self.complaint(c, GROUP_EXCERPT) for c in shown],
            "more": len(complaints) - len(shown),
        }

    def continuations(self, inc: Incident, tags: list[str]) -> list[str]:
        """The tags a prompt leaves out, in as few messages as Telegram's limit allows."""
        view = self.incident(inc)
        empty = self.html("diagnosis_more", inc=view, no=len(tags) or 1, tags=[])
        room = LIMIT - len(empty)  # the empty page's sentence is longer than its tag line
        return [
            self.html("diagnosis_more", inc=view, no=no, tags=page)
            for no, page in enumerate(listing.pack(tags, room), start=1)
        ]

    def no_continuation(self, inc: Incident, no: int) -> str:
        """A continuation no longer needed (complaints left): it points back up."""
        return self.html("diagnosis_more", inc=self.incident(inc), no=no, tags=[])

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

    def steps(
        self, checks: Iterable[CheckResult], *, official: bool = False
    ) -> list[dict[str, Any]]:
        """Steps 2-6 with the newest result of each (None while it runs).

        ``official``: a report to the JF ADB or the Kabid; a finding that is a set-up
        hint ("tambahkan [[services]] ...") reads as "not set up here", the fix being
        the ADB's (their diagnosis message and ``netmaint doctor`` keep it)."""
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
                "findings": [],
                "more": 0,
                "summary": None,
            }
            if r is not None:
                texts = self._texts(r.findings, official, said)
                shown = texts[:MAX_FINDINGS]
                item.update(
                    status=str(r.status),
                    seconds=r.duration_s,
                    findings=[{"severity": str(f.severity), "text": t} for f, t in shown],
                    more=max(0, len(texts) - len(shown)),
                    summary=r.summary,
                )
            out.append(item)
        return out

    def _texts(
        self, findings: Iterable[Finding], official: bool, said: set[str]
    ) -> list[tuple[Finding, str]]:
        """Each finding's words, as the ADB's prompt has them (``official``: set-up hints
        read "not set up here"); an agent's finding already in ``said`` is left out."""
        texts = [(f, self._official(f) if official else self.finding(f)) for f in findings]
        texts = [(f, t) for f, t in texts if not (f.code.startswith("agent.") and t in said)]
        said.update(t for f, t in texts if f.code.startswith("agent."))
        return texts

    def _official(self, f: Finding) -> str:
        """A finding as an official report words it: a set-up instruction (a config key,
        a command, a variable's name) is the ADB's to act on, so it reads as "not set up"."""
        if f.code in SETUP_HINTS:
            return self.plain("answers", "not_set_up_here")
        if f.code in AGENT_SETUP_HINTS:
            return self.plain("answers", "agent_not_set_up", site=f.params.get("site") or "-")
        return self.finding(f)

    def decisive(self, checks: Iterable[CheckResult]) -> list[dict[str, Any]]:
        """The findings that decided an incident, for the official reports: each failed or
        warning finding of steps 2-6, in step order, worded as in the ADB's prompt."""
        latest = {r.step: r for r in checks}
        out: list[dict[str, Any]] = []
        said: set[str] = set()
        for no in CHECK_STEPS:
            r = latest.get(no)
            bad = [f for f in r.findings if f.severity in DECISIVE] if r else []
            for f, text in self._texts(bad, True, said)[:MAX_FINDINGS]:
                out.append(
                    {"no": no, "sop_name": STEP[no].name, "severity": str(f.severity), "text": text}
                )
        return out

    def found(self, inc: Incident, first: Complaint) -> dict[str, Any]:
        """How the incident came to the office: monitoring found it, or ``first``'s
        reporter reported it, and when."""
        return {
            "monitored": inc.found_by == "monitor",
            "by": self.person(first.reporter_id, first.reporter_name),
            "at": first.created_at,
        }

    @staticmethod
    def auto_seconds(checks: Iterable[CheckResult]) -> float | None:
        """How long the automated steps 2-6 ran (one round's steps run side by side)."""
        spans = [(r.started_at, r.started_at + timedelta(seconds=r.duration_s)) for r in checks]
        return timing.covered_seconds(spans) if spans else None

    # --- keyboards --------------------------------------------------------------------------

    @staticmethod
    def keyboard(rows: list[list[tuple[str, str]]]) -> Markup:
        return {
            "inline_keyboard": [
                [{"text": text, "callback_data": data} for text, data in row] for row in rows
            ]
        }

    def decision_keyboard(self, iid: int) -> Markup:
        return self.keyboard(
            [
                [
                    (self.label("ya"), buttons.make("dec", iid, "ya")),
                    (self.label("tidak"), buttons.make("dec", iid, "no")),
                ],
                [(self.label("cek_ulang"), buttons.make("dec", iid, "re"))],
            ]
        )

    def recovery_keyboard(self, iid: int) -> Markup:
        """After Ya: was a database recovery done (SOP steps 7-9, "recovery database")?"""
        return self.keyboard(
            [
                [(self.label("recovery_done"), buttons.make("rec", iid, "ya"))],
                [(self.label("recovery_none"), buttons.make("rec", iid, "no"))],
            ]
        )

    def jf_keyboard(self, iid: int, first: str | None = None) -> Markup:
        """The JF ADB report's buttons; ``first``: the broken part's vendor, whose call is
        recorded from the report itself (the full list stays one press away)."""
        rows = [
            [(self.label("fixed"), buttons.make("jf", iid, "fix"))],
            [(self.label("vendor"), buttons.make("jf", iid, "ven"))],
        ]
        if first:
            call = (
                self.label("vendor_called", vendor=first),
                buttons.make("ven", iid, buttons.key(first)),
            )
            rows.insert(0, [call])
        return self.keyboard(rows)

    def vendor_keyboard(self, iid: int, names: list[str]) -> Markup:
        """One button per vendor, named by its key: the list may be reordered meanwhile."""
        return self.keyboard(
            [
                [(self.label("vendor_called", vendor=n), buttons.make("ven", iid, buttons.key(n)))]
                for n in names
            ]
            + [[(self.label("fixed"), buttons.make("jf", iid, "fix"))]]
        )

    def still_down_keyboard(self, cid: int) -> Markup:
        return self.keyboard([[(self.label("still_down"), buttons.make("kel", cid, "masih"))]])

    def site_keyboard(self, sites: list[str]) -> Markup:
        """Each site's button carries its name's key, never its place in ``[[sites]]``."""
        rows = [[(s, buttons.make("lap", 0, buttons.key(s)))] for s in sites]
        rows.append([(self.label("other_site"), buttons.make("lap", 0, "other"))])
        rows.append([(self.label("cancel"), buttons.make("lap", 0, "cancel"))])
        return self.keyboard(rows)
