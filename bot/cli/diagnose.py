"""``netmaint diagnose``: run SOP steps 2-6 on this machine and print the report.

Exit status follows the Nagios plugin convention (0 ok, 1 warning,
2 critical, 3 unknown), so the same command plugs into Nagios, Icinga or
Zabbix. Heavy imports happen in ``run`` so ``netmaint --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from checks.steps import CHECK_STEPS

UNKNOWN = 3
LANGS = ("id", "en")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``diagnose`` subcommand."""
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--step",
        type=int,
        action="append",
        choices=CHECK_STEPS,
        metavar="N",
        help="run only SOP step N (2-6); repeat for several",
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=os.environ.get("NETMAINT_LANG") or "id",
        help="report language (default: NETMAINT_LANG or id)",
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("NETMAINT_CONFIG") or None,
        metavar="PATH",
        help="TOML config file (default: NETMAINT_CONFIG or ./netmaint.toml if present)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the config, run the checks, print the report; return the Nagios exit code."""
    import asyncio
    import logging

    from bot.settings.office import load_office_config
    from checks import redact
    from checks.config import ConfigError
    from checks.runner import run_sop_checks

    if args.lang not in LANGS:  # argparse checks choices only when --lang is given
        print(
            f"netmaint diagnose: NETMAINT_LANG={args.lang} is not a report language; "
            f"set it to {' or '.join(LANGS)}, or pass --lang",
            file=sys.stderr,
        )
        return UNKNOWN
    redact.install()  # as in the bot and the agent: a token-shaped string never reaches a log
    redact.quiet_http_loggers()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_office_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return UNKNOWN
    report = asyncio.run(run_sop_checks(config, steps=args.step))
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        from bot.render import render

        print(render(args.lang, "report.txt.j2", report=report))
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.cli.diagnose`` works like ``netmaint diagnose``."""
    parser = argparse.ArgumentParser(prog="netmaint diagnose")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
