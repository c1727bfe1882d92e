"""``netmaint rekap``: the monthly Rekapitulasi for the Kabid, as PDF, XLSX or CSV."""

from __future__ import annotations

import argparse

from bot.cli import documents as common
from bot.documents.service import Document, Documents
from bot.domain.clock import utc_now
from bot.settings.environment import AgendaSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--month", metavar="YYYY-MM", help="the month, e.g. 2026-11 (default: last month)"
    )
    parser.add_argument("--format", choices=("pdf", "xlsx", "csv"), default="pdf")
    common.add_common(parser)


def run(args: argparse.Namespace) -> int:
    async def make(docs: Documents, settings: AgendaSettings) -> Document:
        now = utc_now()
        return await docs.rekap_document(
            docs.month(args.month, now),
            args.format,
            now,
            delimiter=common.DELIMITERS[args.delimiter],
        )

    return common.run(args, make)
