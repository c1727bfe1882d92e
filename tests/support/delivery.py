"""The delivery parts a sender test needs, real ones: the Bot API stand-in over HTTP, a
python-telegram-bot ``Bot`` pointed at it, a SQLite file and the message queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Bot

from bot.delivery.queue import MessageQueue
from bot.render.views import Views
from bot.storage import Database
from checks import redact
from tests.support.botapi_stub import BotApiStub

ADB = 99  # the ADB's chat, told when another chat cannot be reached


@asynccontextmanager
async def delivery(path: Path) -> AsyncIterator[tuple[BotApiStub, Database, Bot, MessageQueue]]:
    """Start the stand-in and open the database; what the entry point does first is done
    here too: the token is never logged."""
    with BotApiStub() as stub:
        redact.install([stub.token])
        redact.quiet_http_loggers()
        bot = Bot(stub.token, base_url=stub.base_url)
        async with Database(path) as db, bot:
            yield stub, db, bot, MessageQueue(db, Views("id", ZoneInfo("Asia/Jakarta")), (ADB,))
