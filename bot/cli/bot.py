"""``netmaint bot``: run the Telegram bot (long polling, or a webhook when configured)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.agents import agent_environment, agent_lookup
from bot.cli.doctor import env_file_exposed
from bot.config import OfficeConfig, Settings, SettingsError, load_office_config, load_settings
from bot.telegram.runtime import run_bot
from checks import redact
from checks.config import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=Path(".env"),
                        help="file with the environment variables (default: .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")


async def _main(settings: Settings, config: OfficeConfig, env_file: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Agent tokens are read once, from the same file and environment as the settings.
    await run_bot(settings, config, stop,
                  agent_for=agent_lookup(config, agent_environment(env_file)))


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    env_file = args.env_file if args.env_file.exists() else None
    if env_file is not None and env_file_exposed(env_file):
        logging.getLogger("bot.cli").warning(
            "%s holds the bot token and can be read by other users of this machine; "
            "run: chmod 600 %s", env_file, env_file)
    try:
        settings = load_settings(env_file)
        redact.install([settings.token])
        redact.quiet_http_loggers()
        config = load_office_config(settings.netmaint_config)
    except (SettingsError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        asyncio.run(_main(settings, config, env_file))
    except InvalidToken:
        print("TELEGRAM_BOT_TOKEN was refused by Telegram; copy it again from BotFather",
              file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"cannot reach the Bot API at TELEGRAM_API_BASE_URL ({redact.redact(str(exc))})",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
