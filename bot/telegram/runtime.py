"""The bot's life: start-up, the fetch loop or the webhook, and a graceful stop.

On start, updates stored but not handled (a crash) are handled first, and
diagnoses cut short are run again. On stop, no new update is taken; running
diagnoses finish and what they cause is sent, within ``STOP_BUDGET_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand
from telegram.error import TelegramError

from bot.agents import AgentLookup, agent_environment, agent_lookup
from bot.config import OfficeConfig, Settings
from bot.delivery.sender import Sender, SenderOptions
from bot.documents import monthly
from bot.render import render
from bot.sop.model import Clock, utc_now
from bot.sop.services import Services, build_services
from bot.storage import Database
from bot.telegram.app import build_application
from bot.telegram.context import App
from bot.telegram.inbox import handle_backlog
from bot.telegram.polling import fetch_loop
from bot.telegram.webhook import webhook_loop

log = logging.getLogger(__name__)
STOP_BUDGET_S = 9.0  # a graceful stop finishes in-flight work within this, then exits


async def set_commands(app: App, lang: str) -> None:
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
    agent_for: AgentLookup | None = None,
    clock: Clock = utc_now,
    ready: asyncio.Event | None = None,
    sender_options: SenderOptions | None = None,
) -> None:
    """Run until ``stop`` is set: the sender, the backlog, then the fetch loop or webhook.

    ``agent_for``: where each site's checks run (default: the config's agents, with tokens
    from the environment); ``sender_options``: tests pace and retry faster.
    """
    async with Database(settings.netmaint_db, clock) as db:
        agents = agent_for or agent_lookup(config, agent_environment(None))
        services = build_services(settings, config, db, agent_for=agents, clock=clock)
        app = build_application(services)
        sender = Sender(db, app.bot, services.queue, clock=clock, options=sender_options)
        async with app:
            if not settings.netmaint_webhook_url:
                await app.bot.delete_webhook(drop_pending_updates=False)
            await set_commands(app, settings.lang)
            sending = asyncio.create_task(sender.run(), name="sender")
            recap, send_document = monthly.for_bot(services, app.bot)  # last month's, to Kabid
            recapping = asyncio.create_task(recap.run(send_document, stop), name="monthly recap")
            try:
                handled = await handle_backlog(app, db)
                resumed = await services.diagnoses.resume()
                log.info("bot running (%d stored updates handled, %d diagnoses resumed)",
                         handled, resumed)
                if settings.netmaint_webhook_url:
                    await webhook_loop(app, db, settings, stop, ready)
                else:
                    if ready is not None:
                        ready.set()
                    await fetch_loop(app, db, int(settings.netmaint_poll_timeout), stop)
            finally:
                await monthly.finish(recapping)
                await finish_in_flight(services, sender, sending)


async def finish_in_flight(services: Services, sender: Sender,
                           sending: asyncio.Task[None]) -> None:
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
