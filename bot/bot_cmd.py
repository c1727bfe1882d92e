"""``netmaint bot``: run the bot with long polling through our own fetch loop
(or, with ``NETMAINT_WEBHOOK_URL``, as a webhook: ``bot/webhook.py``).

Each batch of updates is written to the inbox and committed *before* the
next ``getUpdates`` confirms it to Telegram; each update is marked handled
after its handler ran. On start, updates stored but not handled (a crash)
are handled first, and diagnoses cut short are run again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import BotCommand, Update
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.agents import AgentClient
from bot.app import build_application
from bot.config import OfficeConfig, Settings, SettingsError, load_office_config, load_settings
from bot.flow import Service
from bot.outbox import Outbox, retry_seconds
from bot.render import render
from bot.sop import Clock, utc_now
from bot.store import Store
from checks import redact
from checks.config import ConfigError

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
UNPARSABLE = "unparsable"  # inbox.error of an update python-telegram-bot cannot read
POLL_READ_MARGIN_S = 10  # read timeout of a long poll beyond its own timeout
STOP_BUDGET_S = 9.0  # a graceful stop finishes in-flight work within this, then exits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=Path(".env"),
                        help="file with the environment variables (default: .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")


async def handle(app: Application, store: Store, update: Update) -> None:
    """Run the handlers for one stored update, then mark it handled."""
    error = None
    try:
        await app.process_update(update)
    except Exception as exc:  # process_update routes handler errors; this is a last resort
        log.exception("update %s could not be processed", update.update_id)
        error = type(exc).__name__
    async with store.write() as tx:
        await tx.inbox_done(update.update_id, error)


async def handle_raw(app: Application, store: Store, update_id: int, raw: Any) -> None:
    """Parse one stored update on its own and handle it.

    An update python-telegram-bot cannot read (a new or broken field) stays in
    the inbox with its raw JSON, marked ``unparsable``, and is skipped: one bad
    update must not stop the others, nor the bot.
    """
    try:
        update = Update.de_json(raw, app.bot)
    except Exception as exc:
        log.warning("update %s is unparsable (%s: %s); kept in the inbox and skipped",
                    update_id, type(exc).__name__, redact.redact(str(exc))[:200])
        async with store.write() as tx:
            await tx.inbox_done(update_id, UNPARSABLE)
        return
    await handle(app, store, update)


async def handle_backlog(app: Application, store: Store) -> int:
    """Updates stored before a crash but never handled."""
    rows = await store.inbox_unhandled()
    for update_id, raw in rows:
        await handle_raw(app, store, update_id, json.loads(raw))
    return len(rows)


def update_id_of(raw: Any) -> int | None:
    """The ``update_id`` of a raw update, or None if it has none we can trust."""
    uid = raw.get("update_id") if isinstance(raw, dict) else None
    return uid if isinstance(uid, int) and not isinstance(uid, bool) else None


async def get_updates_raw(app: Application, offset: int | None, poll_s: int) -> list[Any]:
    """``getUpdates`` as JSON: PTB's ``get_updates`` parses the whole batch at once, so
    one update it cannot read would fail the batch before any of it is stored."""
    params: dict[str, Any] = {"timeout": poll_s, "allowed_updates": ALLOWED_UPDATES}
    if offset is not None:
        params["offset"] = offset
    result = await app.bot.do_api_request("getUpdates", api_kwargs=params,
                                          read_timeout=poll_s + POLL_READ_MARGIN_S)
    if not isinstance(result, list):
        raise NetworkError("getUpdates did not return a list")
    return result


async def store_batch(store: Store, batch: list[Any]) -> list[tuple[int, Any]]:
    """Commit every update of a batch to the inbox; returns the ones not seen before."""
    fresh = []
    async with store.write() as tx:
        for raw in batch:
            uid = update_id_of(raw)
            if uid is None:
                log.warning("getUpdates returned an item without an update_id; skipped")
                continue
            if await tx.inbox_add(uid, json.dumps(raw, ensure_ascii=False)):
                fresh.append((uid, raw))
    return fresh


async def fetch_loop(app: Application, store: Store, settings: Settings,
                     stop: asyncio.Event) -> None:
    """getUpdates -> inbox (commit) -> handle -> only then advance the offset."""
    # do_api_request is PTB's public way to get the raw JSON; it advises the typed method,
    # which is exactly what cannot be used here.
    warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'",
                            category=PTBUserWarning)
    offset = await store.inbox_next_offset()
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            get_updates_raw(app, offset, int(settings.netmaint_poll_timeout)))
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            break
        try:
            batch = fetch.result()
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except TimedOut:
            continue
        except InvalidToken:
            raise
        except Conflict:  # e.g. the old container still polling during a redeploy
            log.warning("another copy of this bot is polling with the same token; stop it"
                        " (or wait for it to exit); retrying in %.0f s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        except NetworkError as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        ids = [uid for uid in map(update_id_of, batch) if uid is not None]
        if not ids:
            continue
        fresh = await store_batch(store, batch)
        for uid, raw in fresh:  # a redelivered update was stored (and handled) before
            await handle_raw(app, store, uid, raw)
        offset = max(ids) + 1


async def set_commands(app: Application, lang: str) -> None:
    """The command menu, worded in templates/<lang>/commands.txt.j2 ("name - description")."""
    lines = render(lang, "commands.txt.j2").splitlines()
    commands = [BotCommand(*(p.strip() for p in ln.split(" - ", 1)))
                for ln in lines if " - " in ln]
    try:
        await app.bot.set_my_commands(commands)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


async def run_bot(
    settings: Settings,
    config: OfficeConfig,
    stop: asyncio.Event,
    *,
    clock: Clock = utc_now,
    agent_for: Callable[[str | None], AgentClient] | None = None,
    ready: asyncio.Event | None = None,
    outbox_options: dict[str, object] | None = None,
) -> None:
    """Run until ``stop`` is set: the sender, the backlog, then the fetch loop.

    ``outbox_options`` go to ``Outbox`` (tests: shorter timeouts, backoff, limits).
    """
    async with Store(settings.netmaint_db, clock) as store:
        service = Service(settings, config, store, clock=clock, agent_for=agent_for)
        app = build_application(service)
        outbox = Outbox(store, app.bot, clock=clock, on_unreachable=service.on_unreachable,
                        **(outbox_options or {}))
        service.wake = outbox.wake
        async with app:
            if not settings.netmaint_webhook_url:
                await app.bot.delete_webhook(drop_pending_updates=False)
            await set_commands(app, settings.lang)
            sender = asyncio.create_task(outbox.run(), name="outbox")
            try:
                handled = await handle_backlog(app, store)
                resumed = await service.resume()
                log.info("bot running (%d stored updates handled, %d diagnoses resumed)",
                         handled, resumed)
                if settings.netmaint_webhook_url:
                    from bot.webhook import webhook_loop

                    await webhook_loop(app, store, settings, stop, ready)
                else:
                    if ready is not None:
                        ready.set()
                    await fetch_loop(app, store, settings, stop)
            finally:
                await finish_in_flight(service, store, outbox, sender)


async def finish_in_flight(service: Service, store: Store, outbox: Outbox,
                           sender: asyncio.Task[None]) -> None:
    """A graceful stop: no new updates are taken; running diagnoses finish and the
    messages they cause are sent (at Telegram's pace), within ``STOP_BUDGET_S``. What
    does not fit stays in SQLite: a cut-short diagnosis runs again after restart, an
    unsent message is sent then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_BUDGET_S
    try:
        await asyncio.wait_for(service.idle(), STOP_BUDGET_S * 2 / 3)
    except TimeoutError:
        log.warning("diagnoses still running at shutdown; they run again after restart")
    await service.stop()

    async def sent_all() -> None:
        while True:  # the sender has no "queue empty" event; its rows are in SQLite
            if not await store.outbox_pending_count():
                return
            await asyncio.sleep(0.1)

    with contextlib.suppress(TimeoutError):  # the sender keeps its pace meanwhile
        await asyncio.wait_for(sent_all(), max(0.0, deadline - 1.5 - loop.time()))
    outbox.stop()
    try:
        await asyncio.wait_for(sender, max(0.5, deadline - loop.time()))
    except TimeoutError:
        log.warning("outbox still busy at shutdown; the rest is sent after restart")


async def _main(settings: Settings, config: OfficeConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await run_bot(settings, config, stop)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args.env_file if args.env_file.exists() else None)
        redact.install([settings.token])
        redact.quiet_http_loggers()
        config = load_office_config(settings.netmaint_config)
    except (SettingsError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        asyncio.run(_main(settings, config))
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
