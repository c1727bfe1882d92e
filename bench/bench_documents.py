"""The documents on a year of a busy office: 10,000 complaints with full timelines.

Writes the year through the storage layer (tests/documents_support.py), then times
what the office runs: the whole year's Buku Agenda as CSV (goal < 5 s), one month's
Rekapitulasi as PDF (goal < 15 s; the busiest month, ~850 complaints, 30 pages),
and for reference the year as XLSX and the month as XLSX. Wall and CPU time of
each, and the process's peak resident memory after each step.

    .venv/bin/python bench/bench_documents.py [--complaints 10000] [--keep DB]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.documents.period import Period, month_period
from bot.documents.service import Documents
from bot.settings.office import OfficeConfig
from bot.storage import Database
from checks.config import parse_config
from tests.support.documents import TZ, seed

CONFIG = """
[office]
address = "Jl. Jenderal Sudirman No. 1, Painan"
[signatory]
name = "Drs. H. Syafrizal, M.Si"
nip = "19700512 199503 1 002"
[[staff]]
telegram_id = 5001
name = "Andi Saputra, S.Kom"
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(label: str, goal: float | None, make: object) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    doc = await make  # type: ignore[misc]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    verdict = "" if goal is None else (" OK" if wall < goal else f" OVER the {goal:g} s goal")
    print(
        f"{label:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU  {len(doc.data) / 1e6:6.2f} MB"
        f"  {doc.complaints:6d} rows  peak RSS {peak_mb():6.0f} MB{verdict}"
    )


async def main(args: argparse.Namespace) -> None:
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "netmaint.db"
    per_month = [args.complaints // 12 + (m < args.complaints % 12) for m in range(12)]
    if not path.exists():
        t = time.perf_counter()
        async with Database(path) as db:
            plan = await seed(db, [(2026, m) for m in range(1, 13)], per_month)
        print(
            f"wrote {len(plan)} complaints with their timelines in "
            f"{time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
        )
    config = parse_config(CONFIG, "bench.toml", model=OfficeConfig)
    now = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    async with Database(path) as db:
        docs = Documents(db, config, "id", TZ)
        months = Counter(
            c.created_at.astimezone(TZ).month
            for c in await db.reads.documents.complaints(
                month_period(2026, 1, TZ).start, month_period(2026, 12, TZ).end
            )
        )
        busiest = month_period(2026, months.most_common(1)[0][0], TZ)
        year = Period(month_period(2026, 1, TZ).first, month_period(2026, 12, TZ).last, TZ)
        print(f"peak RSS before documents: {peak_mb():.0f} MB")
        await timed("agenda CSV, the whole year", 5, docs.agenda_document(year, "csv", now))
        await timed(
            f"rekap PDF, {busiest.words('id')}", 15, docs.rekap_document(busiest, "pdf", now)
        )
        await timed(
            f"rekap XLSX, {busiest.words('id')}", None, docs.rekap_document(busiest, "xlsx", now)
        )
        await timed("agenda XLSX, the whole year", None, docs.agenda_document(year, "xlsx", now))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--keep", help="database file to create once and reuse")
    asyncio.run(main(parser.parse_args()))
