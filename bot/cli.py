"""The ``netmaint`` command: one subcommand per job, each in its own module.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
this file only wires them, so a subcommand's imports cost nothing to the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Modules are imported only when chosen.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("bot.diagnose_cmd", "run the SOP's diagnostic steps 2-6 on this machine"),
    "bot": ("bot.bot_cmd", "run the Telegram bot"),
    "agent": ("checks.agent_cmd", "serve the diagnostics to the bot over HTTPS"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netmaint",
        description="Network-maintenance SOP bot (Maintenance Jaringan).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(sp)
        sp.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(importlib.import_module(args._module).run(args))


if __name__ == "__main__":
    sys.exit(main())
