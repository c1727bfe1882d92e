"""``netmaint bot``: run the Telegram bot (long polling, or a webhook when configured)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.agents import DEFAULT_TOKEN_ENV, agent_environment, agent_lookup
from bot.cli.doctor import env_file_exposed
from bot.cli.language import operator_lang, setup_error
from bot.settings.environment import Settings, SettingsError, load_settings
from bot.settings.office import OfficeConfig, load_office_config
from bot.storage.db import StorageError
from bot.telegram.runtime import run_bot
from checks import redact
from checks.config import DEFAULT_CONFIG_PATH, ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="file with the environment variables (default: .env)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")


def configure_logging(verbose: bool) -> None:
    """Log to stderr; ``-v`` is DEBUG for our code and python-telegram-bot's, but not for
    the loggers that write secrets or people's words: httpx (the token is in every URL)
    and aiosqlite (every SQL parameter: complaint texts, raw updates)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact.quiet_http_loggers()


def held_secrets(settings: Settings, config: OfficeConfig, environ: Mapping[str, str]) -> list[str]:
    """Every secret the bot holds, to be masked in every log line: the bot token, the
    webhook secret (with it anyone can forge updates) and each site's agent token."""
    agent_tokens = [
        environ.get(site.agent_token_env or DEFAULT_TOKEN_ENV)
        for site in config.sites
        if site.agent_url
    ]
    return [s for s in (settings.token, settings.webhook_secret, *agent_tokens) if s]


async def _main(settings: Settings, config: OfficeConfig, environ: Mapping[str, str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await run_bot(settings, config, stop, agent_for=agent_lookup(config, environ))


def run(args: argparse.Namespace) -> int:
    configure_logging(args.verbose)
    env_file = args.env_file if args.env_file.exists() else None
    if env_file is not None and env_file_exposed(env_file):
        logging.getLogger("bot.cli").warning(
            "%s holds the bot token and can be read by other users of this machine; "
            "run: chmod 600 %s",
            env_file,
            env_file,
        )
    lang = operator_lang(None, env_file)
    try:
        settings = load_settings(env_file)
    except SettingsError as exc:
        print(setup_error(lang, exc, "env"), file=sys.stderr)
        return 2
    redact.install([settings.token, settings.webhook_secret])
    try:
        config = load_office_config(settings.netmaint_config)
    except ConfigError as exc:
        source = str(settings.netmaint_config or DEFAULT_CONFIG_PATH)
        print(setup_error(settings.lang, exc, source), file=sys.stderr)
        return 2
    # Agent tokens are read once, from the same file and environment as the settings.
    environ = agent_environment(env_file)
    redact.add_secrets(held_secrets(settings, config, environ))
    try:
        asyncio.run(_main(settings, config, environ))
    except StorageError as exc:  # NETMAINT_DB unusable: the message names it and the fix
        print(exc, file=sys.stderr)
        return 2
    except InvalidToken:
        print(
            "TELEGRAM_BOT_TOKEN was refused by Telegram; copy it again from BotFather",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
        print(
            f"cannot reach the Bot API at TELEGRAM_API_BASE_URL ({redact.redact(str(exc))})",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0
