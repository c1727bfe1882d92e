"""The bot's life: start-up, the fetch loop or the webhook, and a graceful stop.

On start, the SOP clock, monitoring and the diagnoses cut short by a crash start
before Telegram is reached, so a boot during an outage stops none of them
(``connect.py`` retries meanwhile); then updates stored but not handled are
handled. On stop, no new update is taken; running
diagnoses finish and what they cause is sent, within ``STOP_BUDGET_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.agents import AgentLookup, agent_environment, agent_lookup
from bot.delivery.sender import Sender, SenderOptions
from bot.domain.clock import Clock, utc_now
from bot.render import render
from bot.services import Services, build_services
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.sop import monthly
from bot.storage import Database
from bot.telegram.app import build_application
from bot.telegram.clockwatch import ClockWatch, Ticks
from bot.telegram.connect import BACKOFF, Backoff, Stopped, connect
from bot.telegram.inbox import handle_backlog
from bot.telegram.polling import fetch_loop
from bot.telegram.recap import for_bot
from handlers import guard
from handlers.context import App

log = logging.getLogger(__name__)
STOP_BUDGET_S = 9.0  # a graceful stop finishes in-flight work within this, then exits


# Who sees which commands in Telegram's menu (the "/" button). Only commands worded in
# templates/<lang>/commands.txt.j2 are listed, so a command another part of the bot has
# not registered yet never shows up. "bantuan" is "help" in the English wording.
REPORTER_MENU = ("lapor", "lacak", "batal", "bantuan")
ADB_MENU = (
    *REPORTER_MENU,
    "catat",
    "agenda",
    "rekap",
    "beritaacara",
    "catatan",
    "tutup",
    "status",
    "pemeliharaan",
    "pisah",
    "gabung",
    "tiket",
    "id",
)
JF_ADB_MENU = ("agenda", "rekap", "beritaacara", "lacak", "tiket", "status", "bantuan", "id")
KABID_MENU = ("agenda", "rekap", "beritaacara", "lacak", "status", "bantuan", "id")
_ALIASES = {"bantuan": "help"}


def command_menus(settings: Settings) -> list[tuple[BotCommandScope, tuple[str, ...]]]:
    """Each menu scope and its commands: everyone by default; each ADB's private chat;
    the JF ADB and Kabid groups (and their people's private chats, when listed); the ADB
    group. Telegram shows a chat the most specific menu set for it."""
    menus: list[tuple[BotCommandScope, tuple[str, ...]]] = [
        (BotCommandScopeDefault(), REPORTER_MENU)
    ]
    for user_id in settings.adb_user_ids:
        menus.append((BotCommandScopeChat(user_id), ADB_MENU))
    for user_id in settings.jf_adb_user_ids:
        if user_id not in settings.adb_user_ids:
            menus.append(
                (
                    BotCommandScopeChat(user_id),
                    (*REPORTER_MENU, *(c for c in JF_ADB_MENU if c not in REPORTER_MENU)),
                )
            )
    for user_id in settings.kabid_user_ids:
        if user_id not in settings.adb_user_ids and user_id not in settings.jf_adb_user_ids:
            menus.append(
                (
                    BotCommandScopeChat(user_id),
                    (*REPORTER_MENU, *(c for c in KABID_MENU if c not in REPORTER_MENU)),
                )
            )
    menus.append((BotCommandScopeChat(settings.jf_adb_chat_id), JF_ADB_MENU))
    menus.append((BotCommandScopeChat(settings.kabid_chat_id), KABID_MENU))
    if settings.adb_chat_id is not None:
        menus.append(
            (BotCommandScopeChat(settings.adb_chat_id), tuple(c for c in ADB_MENU if c != "lapor"))
        )
    return menus


async def set_commands(app: App, settings: Settings) -> None:
    """The command menus by role, worded in templates/<lang>/commands.txt.j2 ("name -
    description"). A scope Telegram refuses (an ADB who never pressed Start) is logged and
    skipped: the menu is a convenience, never a reason not to start."""
    lines = render(settings.lang, "commands.txt.j2").splitlines()
    worded: dict[str, str] = {}
    for ln in lines:
        name, sep, description = ln.partition(" - ")
        if sep:
            worded[name.strip()] = description.strip()
    for scope, names in command_menus(settings):
        commands = []
        for name in names:
            name = name if name in worded else _ALIASES.get(name, name)
            if name in worded:
                commands.append(BotCommand(name, worded[name]))
        try:
            await app.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.warning(
                "could not set the command menu for %s %s: %s",
                scope.type,
                getattr(scope, "chat_id", ""),
                exc,
            )


async def run_bot(
    settings: Settings,
    config: OfficeConfig,
    stop: asyncio.Event,
    *,
    agent_for: AgentLookup | None = None,
    clock: Clock = utc_now,
    ready: asyncio.Event | None = None,
    sender_options: SenderOptions | None = None,
    backoff: Backoff = BACKOFF,
    ticks: Ticks = time.monotonic,
) -> None:
    """Run until ``stop`` is set: the SOP clock, monitoring and cut-short diagnoses at once;
    once Telegram answers (retried with ``backoff`` for as long as it takes), the sender,
    the backlog, then the fetch loop or webhook.

    ``agent_for``: where each site's checks run (default: the config's agents, with tokens
    from the environment); ``sender_options``: tests pace and retry faster; ``ticks``:
    monotonic seconds (the flood guard's and the clock watch's), ``clock`` the wall clock.
    """
    async with Database(settings.netmaint_db, clock) as db:
        agents = agent_for or agent_lookup(config, agent_environment(None))
        services = build_services(settings, config, db, agent_for=agents, clock=clock)
        app = build_application(services)
        guard.install(app.bot_data, ticks)
        sender = Sender(db, app.bot, services.queue, clock=clock, options=sender_options)
        # What needs no Telegram starts first, so an outage at boot stops none of it.
        clock_stop = asyncio.Event()
        ticking = asyncio.create_task(services.deadlines.run(clock_stop), name="sop-clock")
        monitor = services.monitoring.loop  # beside the bot, never in a handler
        watching = (
            asyncio.create_task(monitor.run(clock_stop), name="monitor")
            if monitor is not None
            else None
        )
        stepping = asyncio.create_task(
            ClockWatch(db, clock, ticks).run(clock_stop), name="clock watch"
        )
        sending: asyncio.Task[None] | None = None
        recapping: asyncio.Task[None] | None = None
        try:
            resumed = await services.diagnoses.resume()
            try:
                await connect(
                    app, db, stop, polling=not settings.netmaint_webhook_url, backoff=backoff
                )
            except Stopped:
                log.info("stopped before Telegram could be reached")
                return
            await set_commands(app, settings)
            sending = asyncio.create_task(sender.run(), name="sender")
            recap, send_document = for_bot(services, app.bot)  # last month's, to Kabid
            recapping = asyncio.create_task(recap.run(send_document, stop), name="monthly recap")
            handled = await handle_backlog(app, db)
            log.info(
                "bot running (%d stored updates handled, %d diagnoses resumed)",
                handled,
                resumed,
            )
            if settings.netmaint_webhook_url:
                # Imported only in webhook mode: uvicorn is not needed for polling.
                from bot.telegram.webhook import webhook_loop

                await webhook_loop(app, db, settings, stop, ready)
            else:
                if ready is not None:
                    ready.set()
                await fetch_loop(app, db, int(settings.netmaint_poll_timeout), stop)
        finally:
            clock_stop.set()
            await ticking
            await stepping
            if watching is not None:
                watching.cancel()  # a look in progress is repeated after restart
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
            if recapping is not None:
                await monthly.finish(recapping)
            if sending is not None:
                await finish_in_flight(services, sender, sending)
            else:  # never reached Telegram: the outbox waits for the next start
                await services.diagnoses.stop()
            await app.shutdown()


async def finish_in_flight(services: Services, sender: Sender, sending: asyncio.Task[None]) -> None:
    """A graceful stop: running diagnoses finish and the messages they cause are sent (at
    Telegram's pace), within ``STOP_BUDGET_S``. What does not fit stays in SQLite: a
    cut-short diagnosis runs again after restart, an unsent message is sent then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_BUDGET_S
    try:
        await asyncio.wait_for(services.diagnoses.idle(), STOP_BUDGET_S * 2 / 3)
    except TimeoutError:
        log.warning("diagnoses still running at shutdown; they run again after restart")
    await services.diagnoses.stop()

    async def sent_all() -> None:
        while True:  # the sender has no "queue empty" event; its rows are in SQLite
            if not await services.db.reads.outbox.pending_count():
                return
            await asyncio.sleep(0.1)

    with contextlib.suppress(TimeoutError):  # the sender keeps its pace meanwhile
        await asyncio.wait_for(sent_all(), max(0.0, deadline - 1.5 - loop.time()))
    sender.stop()
    try:
        await asyncio.wait_for(sending, max(0.5, deadline - loop.time()))
    except TimeoutError:
        log.warning("outbox still busy at shutdown; the rest is sent after restart")
