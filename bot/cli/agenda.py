"""``netmaint agenda``: read the agenda (SOP step 10) in a terminal, or export it as CSV.

Reads the bot's SQLite file (safe while the bot runs: WAL allows readers).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from datetime import datetime
from pathlib import Path

from bot.config import AgendaSettings, SettingsError, load_agenda_settings
from bot.render import render
from bot.render.views import Views
from bot.sop.model import State, utc_now
from bot.storage import Database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="every complaint, not only open/today")
    parser.add_argument("--csv", action="store_true", help="CSV on standard output (for a sheet)")
    parser.add_argument("--env-file", type=Path, default=Path(".env"),
                        help="file with the environment variables (default: .env)")


async def _agenda(settings: AgendaSettings, everything: bool, as_csv: bool, now: datetime) -> str:
    views = Views(settings.lang, settings.tz)
    async with Database(settings.netmaint_db) as db:
        reads = db.reads.complaints
        if everything:
            items = await reads.all()
        else:
            start = now.astimezone(settings.tz).replace(hour=0, minute=0, second=0, microsecond=0)
            items = await reads.agenda(start)
        if as_csv:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["number", "incident", "state", "received", "closed", "site",
                             "reporter", "channel", "logged_by", "complaint", "step_seconds"])
            for c in items:
                times = views.compliance(await reads.timeline(c.id))
                writer.writerow([
                    f"K{c.id}", f"I{c.incident_id}", str(c.state), views.when(c.created_at),
                    views.when(c.closed_at),
                    c.site or "", c.reporter_name, c.channel, c.filed_by_name or "", c.text,
                    " ".join(f"{t['no']}={t['seconds']:.0f}" for t in times),
                ])
            return out.getvalue()
        return render(
            settings.lang, "agenda.txt.j2", now=views.when(now),
            open=[views.complaint(c, 120) for c in items if c.state is not State.CLOSED],
            closed=[views.complaint(c, 120) for c in items if c.state is State.CLOSED],
            when=views.when,
        )


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_agenda_settings(args.env_file if args.env_file.exists() else None)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not settings.netmaint_db.exists():
        print(f"{settings.netmaint_db}: no agenda yet (the bot has not run with this NETMAINT_DB)",
              file=sys.stderr)
        return 1
    print(asyncio.run(_agenda(settings, args.all, args.csv, utc_now())), end="")
    return 0
