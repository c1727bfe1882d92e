"""``netmaint agenda``: the Buku Agenda (SOP step 10) as text, CSV, XLSX or PDF.

Without a period: today's complaints and every older one still open (what the
ADB works from). ``--from``/``--to`` a range of days, ``--all`` everything.
"""

from __future__ import annotations

import argparse
from datetime import date

from bot.cli import documents as common
from bot.documents.period import Period, PeriodError, parse_date
from bot.documents.service import Document, Documents
from bot.domain.clock import utc_now
from bot.render.dates import short_date
from bot.settings.environment import AgendaSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="from_", metavar="DATE", help="first day, YYYY-MM-DD or dd/mm/yyyy"
    )
    parser.add_argument("--to", metavar="DATE", help="last day (default: today)")
    parser.add_argument("--all", action="store_true", help="every complaint ever recorded")
    parser.add_argument("--site", help="only this unit/site (as named in [[sites]])")
    parser.add_argument("--format", choices=("text", "csv", "xlsx", "pdf"), default="text")
    parser.add_argument("--csv", action="store_true", help="same as --format csv")
    common.add_common(parser)


def run(args: argparse.Namespace) -> int:
    if args.csv:
        args.format = "csv"

    async def make(docs: Documents, settings: AgendaSettings) -> Document:
        now = utc_now()
        today = docs.today(now)
        if args.all and (args.from_ or args.to):
            raise PeriodError("--all and --from/--to: choose one")
        last = parse_date(args.to) if args.to else today
        if args.all:
            oldest = await docs.db.reads.documents.first_received()
            first: date | None = docs.today(oldest) if oldest else last
        else:
            first = parse_date(args.from_) if args.from_ else None
        if first is not None and first > last:
            raise PeriodError(f"--from {short_date(first)} is after --to {short_date(last)}")
        period = Period(first if first is not None else last, last, docs.tz)
        return await docs.agenda_document(
            period,
            args.format,
            now,
            site=args.site,
            open_before=first is None,
            delimiter=common.DELIMITERS[args.delimiter],
        )

    return common.run(args, make)
