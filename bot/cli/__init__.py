"""The ``netmaint`` command: one subcommand per job, each in its own module.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
this file only wires them and imports only the chosen one, so ``netmaint agent``
does not carry the Telegram libraries in memory.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Modules are imported only when chosen.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("bot.cli.diagnose", "run the SOP's diagnostic steps 2-6 on this machine"),
    "bot": ("bot.cli.bot", "run the Telegram bot"),
    "agent": ("checks.agent.cli", "serve the diagnostics to the bot over HTTPS"),
    "agenda": ("bot.cli.agenda", "print the agenda (SOP step 10) from the bot's database"),
    "doctor": ("bot.cli.doctor", "check the bot's set-up and say what to fix"),
    "rekap": ("bot.cli.rekap", "the monthly recap for the Kabid (PDF, XLSX or CSV)"),
    "berita-acara": ("bot.cli.berita_acara", "one incident's Berita Acara Gangguan Jaringan (PDF)"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` subcommand's module is imported for its options."""
    parser = argparse.ArgumentParser(
        prog="netmaint",
        description="Network-maintenance SOP bot (Maintenance Jaringan).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(sp)
        sp.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(chosen).parse_args(argv)
    return int(importlib.import_module(args._module).run(args))


if __name__ == "__main__":
    sys.exit(main())
