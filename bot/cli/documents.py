"""What ``netmaint agenda`` and ``netmaint rekap`` share: settings, the database, the output.

Both read the same ``NETMAINT_DB``, ``NETMAINT_CONFIG`` and ``.env`` as the bot (safe
while it runs: WAL allows readers) and exit 0 on success, 1 when there is nothing to
read or write, 2 for a setting, an argument or an edited template to fix, each time
naming it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.cli.language import operator_lang, setup_error
from bot.documents.pdf import DocumentError
from bot.documents.period import PeriodError
from bot.documents.service import Document, Documents
from bot.settings.environment import AgendaSettings, SettingsError, load_agenda_settings
from bot.settings.office import OfficeConfig, load_office_config
from bot.storage import Database
from bot.storage.db import StorageError
from checks.config import DEFAULT_CONFIG_PATH, ConfigError

DELIMITERS = {",": ",", ";": ";", "comma": ",", "semicolon": ";"}


class Missing(LookupError):
    """What was asked for is not in the database (exit 1); the message names it."""


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write to FILE (default: standard output; PDF and XLSX need a file or a pipe)",
    )
    parser.add_argument(
        "--delimiter",
        choices=sorted(DELIMITERS),
        default=",",
        help="CSV separator: ',' or ';' (Excel with Indonesian regional settings reads ';')",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="file with the environment variables (default: .env)",
    )


def run(
    args: argparse.Namespace, make: Callable[[Documents, AgendaSettings], Awaitable[Document]]
) -> int:
    """Load settings and config, open the database, make the document, write it."""
    env_file = args.env_file if args.env_file.exists() else None
    try:
        settings = load_agenda_settings(env_file)
    except SettingsError as exc:
        print(setup_error(operator_lang(None, env_file), exc, "env"), file=sys.stderr)
        return 2
    try:
        config = load_office_config(settings.netmaint_config)
    except ConfigError as exc:
        source = str(settings.netmaint_config or DEFAULT_CONFIG_PATH)
        print(setup_error(settings.lang, exc, source), file=sys.stderr)
        return 2
    if not settings.netmaint_db.exists():
        print(
            f"{settings.netmaint_db}: no agenda yet (the bot has not run with this NETMAINT_DB)",
            file=sys.stderr,
        )
        return 1
    out: Path | None = args.output
    binary = args.format in ("pdf", "xlsx")
    if binary and out is None and sys.stdout.isatty():
        print(
            f"a {args.format.upper()} file is not for the terminal: add --output FILE",
            file=sys.stderr,
        )
        return 2
    if out is not None and not out.parent.exists():
        print(f"{out.parent}: no such folder for --output", file=sys.stderr)
        return 2
    try:
        doc = asyncio.run(_make(settings, config, make))
    except (PeriodError, StorageError, DocumentError) as exc:  # a period, a NETMAINT_DB,
        # or a document template the office edited, to fix
        print(exc, file=sys.stderr)
        return 2
    except Missing as exc:
        print(exc, file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(doc.data)
        sys.stdout.buffer.flush()
    else:
        try:
            out.write_bytes(doc.data)
        except OSError as exc:
            print(f"{out}: cannot write ({exc.strerror})", file=sys.stderr)
            return 1
        about = doc.subject or doc.period.words(settings.lang)
        print(f"{out}: {doc.complaints} complaints, {about}", file=sys.stderr)
    return 0


async def _make(
    settings: AgendaSettings,
    config: OfficeConfig,
    make: Callable[[Documents, AgendaSettings], Awaitable[Document]],
) -> Document:
    async with Database(settings.netmaint_db) as db:
        return await make(Documents(db, config, settings.lang, settings.tz), settings)
