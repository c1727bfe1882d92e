"""What the CLI, the /rekap handler and the monthly send ask for: documents as bytes.

Gathering reads the database (async, on its read connection); rendering a PDF
or a workbook is CPU work and runs in a child process (``apart``), not a thread:
in a thread it would hold the interpreter's lock, and every /lapor arriving
meanwhile would wait for the layout. A fresh process per document also gives its
memory back when it is done.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.documents import pdf, writers
from bot.documents.data import Agenda, People, gather
from bot.documents.figures import summarise
from bot.documents.period import Period, parse_month, previous_month
from bot.documents.table import labels
from bot.domain import timing
from bot.domain.calendar import OfficeCalendar
from bot.render.dates import moment
from bot.render.views import Views
from bot.settings.office import OfficeConfig
from bot.storage import Database
from checks.models import CheckResult

Format = Literal["csv", "xlsx", "pdf", "text"]
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "text": "text/plain",
}
SUFFIX = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf", "text": "txt"}


@dataclass(frozen=True, slots=True)
class Document:
    """A rendered document and the name it is filed under."""

    data: bytes
    filename: str
    period: Period
    complaints: int
    subject: str = ""  # what the document is about when not a period ("#I12")


async def apart(fn: Callable[..., bytes], *args: object) -> bytes:
    """``fn(*args)`` in a fresh process ("spawn": the bot's threads are not forked)."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    finally:
        pool.shutdown(wait=False)


class Documents:
    """The office's documents for one database, office config, language and time zone."""

    def __init__(self, db: Database, config: OfficeConfig, lang: str, tz: ZoneInfo) -> None:
        self.db = db
        self.config = config
        self.lang = lang
        self.tz = ZoneInfo(config.office.timezone) if config.office.timezone else tz
        self.people = People(config.staff)
        self.views = Views(lang, self.tz)  # the findings' words, as the reports word them
        # The SOP clock's office time: "within the standard" as the chat reports judge it.
        self.calendar = OfficeCalendar(
            config.office, self.tz, paused=config.sla.pause_outside_office_hours
        )

    @property
    def standard_minutes(self) -> float:
        """The SOP's total standard time from complaint to report (``[sla] total_minutes``)."""
        total = self.config.sla.total_minutes
        return timing.total_standard(total)[1]

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def month(self, text: str | None, now: datetime) -> Period:
        """``text`` as a month ("2026-11", "November 2026"); none: the month before ``now``.

        Raises ``PeriodError``."""
        if not text or not text.strip():
            return previous_month(self.today(now), self.tz)
        return parse_month(text, self.tz, self.lang)

    async def agenda(
        self, period: Period, *, site: str | None = None, open_before: bool = False
    ) -> Agenda:
        return await gather(
            self.db,
            period,
            self.people,
            self.standard_minutes,
            self.calendar,
            site=site,
            open_before=open_before,
            describe=self._describe,
        )

    def _describe(self, checks: Sequence[CheckResult]) -> list[str]:
        return [d["text"] for d in self.views.decisive(checks)]

    async def agenda_document(
        self,
        period: Period,
        fmt: Format,
        now: datetime,
        *,
        site: str | None = None,
        open_before: bool = False,
        delimiter: str = ",",
    ) -> Document:
        """The Buku Agenda for ``period`` in ``fmt``."""
        a = await self.agenda(period, site=site, open_before=open_before)
        words = labels(self.lang)
        if fmt == "csv":
            data = writers.agenda_csv(a, self.lang, delimiter)
        elif fmt == "xlsx":
            data = await apart(
                writers.agenda_xlsx, a, self.lang, words["agenda.title"], summarise(a.rows)
            )
        elif fmt == "pdf":
            data = await apart(
                pdf.agenda_pdf,
                a,
                self.lang,
                self.config.office,
                self.config.signatory,
                self.today(now),
            )
        else:
            data = writers.agenda_text(
                a, self.lang, moment(now.astimezone(self.tz), self.lang), summarise(a.rows)
            ).encode()
        return Document(data, f"agenda-{period.key}.{SUFFIX[fmt]}", period, len(a.rows))

    async def rekap_document(
        self, period: Period, fmt: Format, now: datetime, *, delimiter: str = ","
    ) -> Document:
        """The Rekapitulasi for ``period`` (a month) in ``fmt``, signed on ``now``'s date."""
        a = await self.agenda(period)
        s = summarise(a.rows)
        words = labels(self.lang)
        if fmt == "pdf":
            data = await apart(
                pdf.rekap_pdf,
                a,
                s,
                self.lang,
                self.config.office,
                self.config.signatory,
                self.today(now),
            )
        elif fmt == "xlsx":
            data = await apart(writers.agenda_xlsx, a, self.lang, words["rekap.title"], s)
        elif fmt == "csv":
            data = writers.agenda_csv(a, self.lang, delimiter)
        else:
            data = writers.agenda_text(
                a, self.lang, moment(now.astimezone(self.tz), self.lang), s
            ).encode()
        return Document(data, f"rekap-{period.key}.{SUFFIX[fmt]}", period, len(a.rows))
