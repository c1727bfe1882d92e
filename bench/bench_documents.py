"""The documents on a year of a busy office: 10,000 complaints with full timelines.

Writes the year through the storage layer (tests/documents_support.py), then times
what the office runs: the whole year's Buku Agenda as CSV (goal < 5 s), the busiest
month's Rekapitulasi as PDF (~834 complaints; goal < 2 s of CPU and < 150 MB peak),
laid out by both engines side by side (Typst, which the product uses, and WeasyPrint
tuned, bench/html_engine/), the busiest month's Buku Agenda as PDF, and for reference
the XLSX forms, and the Berita Acara of the year's largest incident. Each document is
made in a fresh process, so its peak resident memory is its own (reading the database
included), not the peak of the steps before it.

    .venv/bin/python bench/bench_documents.py [--complaints 10000] [--keep DB] [--no-weasyprint]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
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


STEPS = {
    # name: (label, goal in s of CPU, goal in MB peak)
    "agenda-csv": ("agenda CSV, the whole year", 5.0, None),
    "rekap-typst": ("rekap PDF, Typst", 2.0, 150.0),
    "rekap-weasyprint": ("rekap PDF, WeasyPrint tuned", 2.0, 150.0),
    "agenda-pdf": ("agenda PDF (Typst), the month", None, None),
    "rekap-xlsx": ("rekap XLSX, the month", None, None),
    "agenda-xlsx": ("agenda XLSX, the whole year", None, None),
    "berita-acara": ("berita acara PDF, the largest incident", None, None),
}


async def step(path: Path, name: str) -> None:
    """Make one document in this (fresh) process and print its figures."""
    config = parse_config(CONFIG, "bench.toml", model=OfficeConfig)
    now = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    wall, cpu = time.perf_counter(), time.process_time()
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
        wall, cpu = time.perf_counter(), time.process_time()  # the month's count aside
        if name == "agenda-csv":
            doc = await docs.agenda_document(year, "csv", now)
            size, rows = len(doc.data), doc.complaints
        elif name == "rekap-typst":
            doc = await docs.rekap_document(busiest, "pdf", now)
            size, rows = len(doc.data), doc.complaints
        elif name == "rekap-weasyprint":
            from bench.html_engine.engine import rekap_pdf
            from bot.documents.figures import summarise

            a = await docs.agenda(busiest)
            data = await asyncio.to_thread(
                rekap_pdf, a, summarise(a.rows), "id", config.office, config.signatory, now.date()
            )
            size, rows = len(data), len(a.rows)
        elif name == "agenda-pdf":
            doc = await docs.agenda_document(busiest, "pdf", now)
            size, rows = len(doc.data), doc.complaints
        elif name == "rekap-xlsx":
            doc = await docs.rekap_document(busiest, "xlsx", now)
            size, rows = len(doc.data), doc.complaints
        elif name == "berita-acara":
            from bot.sop.berita import BeritaAcara

            complaints = await db.reads.documents.complaints(year.start, year.end)
            largest = Counter(c.incident_id for c in complaints if c.incident_id).most_common(1)
            berita = BeritaAcara.for_office(db, config, "id", TZ)
            doc = await berita.document(largest[0][0], now)
            size, rows = len(doc.data), doc.complaints
        else:
            doc = await docs.agenda_document(year, "xlsx", now)
            size, rows = len(doc.data), doc.complaints
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{wall:.3f} {cpu:.3f} {size} {rows} {peak_mb():.0f} {busiest.words('id')}")


def show(name: str, line: str) -> None:
    label, cpu_goal, mb_goal = STEPS[name]
    wall, cpu, size, rows, peak, *month = line.split()
    verdict = ""
    if cpu_goal is not None:
        ok = float(cpu) < cpu_goal and (mb_goal is None or float(peak) < mb_goal)
        goal = f"< {cpu_goal:g} s CPU" + (f", < {mb_goal:g} MB" if mb_goal else "")
        verdict = f"  {'OK' if ok else 'OVER'} ({goal})"
    where = f" ({' '.join(month)})" if "month" in label or "rekap" in label else ""
    print(
        f"{label + where:<46} {float(wall):6.2f} s wall {float(cpu):6.2f} s CPU"
        f" {int(size) / 1e6:6.2f} MB {int(rows):6d} rows  peak RSS {int(peak):4d} MB{verdict}"
    )


async def main(args: argparse.Namespace) -> None:
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "netmaint.db"
    if args.step:
        await step(path, args.step)
        return
    per_month = [args.complaints // 12 + (m < args.complaints % 12) for m in range(12)]
    if not path.exists():
        t = time.perf_counter()
        async with Database(path) as db:
            plan = await seed(db, [(2026, m) for m in range(1, 13)], per_month)
        print(
            f"wrote {len(plan)} complaints with their timelines in "
            f"{time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
        )
    for name in STEPS:
        if name == "rekap-weasyprint" and args.no_weasyprint:
            continue
        child = subprocess.run(
            [sys.executable, __file__, "--keep", str(path), "--step", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{STEPS[name][0]}: failed\n{child.stderr.strip()}")
            continue
        show(name, child.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--keep", help="database file to create once and reuse")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--no-weasyprint", action="store_true", help="Typst only")
    asyncio.run(main(parser.parse_args()))
