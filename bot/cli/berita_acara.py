"""``netmaint berita-acara``: one incident's Berita Acara Gangguan Jaringan as a PDF."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli import documents as common
from bot.documents.service import Document, Documents
from bot.domain.clock import utc_now
from bot.domain.outcomes import Refused
from bot.settings.environment import AgendaSettings
from bot.sop.berita import BeritaAcara, incident_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--incident", required=True, metavar="N", help="the incident's number: 12 or #I12"
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write to FILE (default: standard output, if that is a file or a pipe)",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="file with the environment variables (default: .env)",
    )
    parser.set_defaults(format="pdf")


def run(args: argparse.Namespace) -> int:
    number = incident_number(args.incident)
    if number is None:
        print(
            f"--incident {args.incident!r}: expected an incident's number, e.g. 12 or #I12",
            file=sys.stderr,
        )
        return 2

    async def make(docs: Documents, settings: AgendaSettings) -> Document:
        berita = BeritaAcara.for_office(docs.db, docs.config, settings.lang, docs.tz)
        try:
            return await berita.document(number, utc_now())
        except Refused:
            raise common.Missing(
                f"#I{number}: no such incident in {settings.netmaint_db} "
                "(see `netmaint agenda --all` for the incidents' numbers)"
            ) from None

    return common.run(args, make)
