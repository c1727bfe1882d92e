"""Driving the real bot (in-process ``run_bot``) against the Bot API stand-in.

A ``Bot`` to start, stop and restart on one database; ``until`` to wait for what a
user would see; reads of the bot's SQLite file while it runs; the user's and the
ADB's usual moves. The fixtures built from these live in ``tests/e2e/conftest.py``.
All traffic stays on 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.delivery.pacer import PacerLimits
from bot.delivery.sender import SenderOptions
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.telegram.runtime import run_bot
from tests.support.botapi_stub import BotApiStub
from tests.support.office import ADB_ID

# Telegram's real flood limits make every group message wait 3 s; the pacing
# itself is tested in tests/integration/test_outbox_faults.py, so flows run with fast limits.
FAST_OUTBOX = SenderOptions(
    limits=PacerLimits(
        per_chat_s=0.02, group_per_min=3000, group_burst=5, global_per_s=300, global_burst=30
    )
)


@dataclass
class Bot:
    """A running bot; ``restart()`` stops it and starts a new one on the same database."""

    settings: Settings
    config: OfficeConfig
    sender_options: SenderOptions = FAST_OUTBOX
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        ready = asyncio.Event()
        self.task = asyncio.create_task(
            run_bot(
                self.settings,
                self.config,
                self.stop_event,
                ready=ready,
                sender_options=self.sender_options,
            )
        )
        waiter = asyncio.ensure_future(ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self.task}, timeout=15, return_when=asyncio.FIRST_COMPLETED
        )
        if self.task in done:
            waiter.cancel()
            self.task.result()  # raises the start-up error
        assert waiter in done, "bot did not start"

    async def stop(self) -> None:
        if self.task is None:
            return
        self.stop_event.set()
        await asyncio.wait_for(self.task, 20)
        self.task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@contextlib.asynccontextmanager
async def running(b: Bot) -> AsyncIterator[Bot]:
    """Start ``b`` and stop it afterwards, whatever the test did to it."""
    await b.start()
    try:
        yield b
    finally:
        with contextlib.suppress(Exception):
            await b.stop()


async def until(pred: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Poll ``pred`` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = pred()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or pred}")
        await asyncio.sleep(0.05)


def rows(path: Path, sql: str, *params: object) -> list[tuple]:
    """All rows of a query on the bot's database (read while it runs: WAL allows a reader)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


def db_row(path: Path, sql: str, *params: object) -> tuple:
    """One row from the bot's database (read while it runs: WAL allows a reader)."""
    found = rows(path, sql, *params)
    return found[0] if found else None  # type: ignore[return-value]


async def settled(db: Path, timeout: float = 20.0) -> None:
    """Every stored update handled and nothing left to send: what the bot does, it has done.

    Wait for this before asserting that something did *not* happen, instead of sleeping.
    """
    await until(
        lambda: (
            not rows(db, "SELECT 1 FROM inbox WHERE handled=0 LIMIT 1")
            and not rows(db, "SELECT 1 FROM outbox WHERE state='pending' LIMIT 1")
        ),
        timeout,
        "every update handled and the outbox empty",
    )


QUESTION = "Apakah jaringan sudah bisa berfungsi dengan baik ?"


async def wait_decision(
    stub: BotApiStub, tag: str, round_: int = 1, chat: int = ADB_ID, everything: str = ""
) -> dict:
    """The ADB's diagnosis message once every step finished and the buttons are there.

    ``tag``: a complaint's "#K1" (its own diagnosis) or an outage's "#I1" (several
    complaints); ``everything``: text that must be in it too (e.g. every complaint's tag).
    """
    title = f"Diagnosis gangguan {tag}" if tag.startswith("#I") else f"Diagnosis keluhan {tag}"

    def ready() -> dict | None:
        msgs = [
            m
            for m in stub.chat_messages(chat)
            if title in m["text"]
            and QUESTION in m["text"]
            and everything in m["text"]
            and (round_ == 1 or f"pemeriksaan ke-{round_}" in m["text"])
        ]
        return msgs[-1] if msgs and stub.buttons(msgs[-1]) else None

    return await until(ready, 20, f"decision buttons for {tag}")


SITE_QUESTION = "Di lokasi/unit mana"
OTHER_SITE = "Lainnya / tidak ada di daftar"  # the site question's "no site" button


def _question(stub: BotApiStub, chat: int, after: int) -> dict[str, Any] | None:
    """The newest site question in ``chat`` sent after message ``after``, still unanswered."""
    asked = [
        m
        for m in stub.chat_messages(chat)
        if m["message_id"] > after and SITE_QUESTION in m["text"] and stub.buttons(m)
    ]
    return asked[-1] if asked else None


async def answer_site(
    stub: BotApiStub,
    user: dict[str, Any],
    site: str | None = None,
    chat: int | None = None,
    after: int = 0,
) -> dict[str, Any]:
    """``user`` presses ``site``'s button (None: "Lainnya") on the bot's site question in
    ``chat`` (their private chat unless given); returns the question once it is answered."""
    chat = user["id"] if chat is None else chat
    ask = await until(lambda: _question(stub, chat, after), what="the site question")
    stub.press(user, chat, ask["message_id"], stub.buttons(ask)[site or OTHER_SITE])
    key = (chat, ask["message_id"])
    answered: dict[str, Any] = await until(
        lambda: not stub.buttons(stub.messages[key]) and stub.messages[key],
        what="the site question answered",
    )
    return answered


async def file(stub: BotApiStub, user: dict[str, Any], text: str, site: str | None = None) -> str:
    """A user files a complaint with /lapor <text>; returns its tag once acknowledged.

    A complaint whose site the bot cannot tell gets the site question first: answered
    with ``site``'s button, or "Lainnya" (filed without a site) when ``site`` is None.
    """
    before = len([t for t in stub.texts(user["id"]) if "diterima" in t])
    last = max((m["message_id"] for m in stub.chat_messages(user["id"])), default=0)
    stub.send_text(user, f"/lapor {text}")

    def acked() -> list[str]:
        return [t for t in stub.texts(user["id"]) if "diterima" in t][before:]

    await until(lambda: acked() or _question(stub, user["id"], last), what="an answer")
    if not acked():
        await answer_site(stub, user, site, after=last)
    acks: list[str] = await until(acked, what="the complaint's acknowledgement")
    return "#K" + acks[0].split("#K", 1)[1].split()[0].rstrip(".")
