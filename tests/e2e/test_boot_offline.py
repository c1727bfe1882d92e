"""A boot while Telegram cannot be reached: the bot starts and keeps running.

On main ``netmaint bot`` said "cannot reach the Bot API ..." and exited 1 (a power
cut that takes the office's line down reboots the server without internet). Here
the Bot API's port refuses every connection at first; the SOP clock queues its
reminder meanwhile; then the port answers (a loopback forwarder to the stand-in
starts on it) and what waited is delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.telegram.connect import Backoff
from bot.telegram.runtime import run_bot
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import FAST_OUTBOX, Bot, file, rows, running, until, wait_decision
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, make_settings

FAST = Backoff(first_s=0.1, max_s=0.3)
SLA = """
[sla]
decision_minutes = 0.1
remind_every_minutes = 5
escalate_decision_minutes = 30
total_minutes = 60
pause_outside_office_hours = false
"""


@contextlib.asynccontextmanager
async def forwarder(port: int, stub: BotApiStub) -> AsyncIterator[None]:
    """From now on ``port`` answers: each connection is piped to the stand-in."""
    host, target = "127.0.0.1", int(stub.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    open_writers: list[asyncio.StreamWriter] = []

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, target)
        open_writers.extend((writer, up_writer))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(on_conn, host, port)
    try:
        yield
    finally:
        server.close()
        for w in open_writers:  # the line goes down: open connections too
            w.close()


def reminders(stub: BotApiStub) -> list[str]:
    return [t for t in stub.texts(ADB_ID) if "Pengingat" in t]


def status(db: Path) -> tuple[str, str | None] | None:
    try:
        found = rows(db, "SELECT value, detail FROM runtime_status WHERE key='telegram'")
    except sqlite3.OperationalError:  # not migrated yet
        return None
    return (found[0][0], found[0][1]) if found else None


async def test_boot_without_telegram_keeps_running_and_delivers_once_it_answers(
    stub: BotApiStub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = parse_config(FAST_CHECKS_TOML + SLA, model=OfficeConfig)
    db = tmp_path / "netmaint.db"
    # A complaint waits for the ADB's decision when the server goes down.
    online = make_settings(db, stub.token, stub.base_url)
    async with running(Bot(online, config)):
        tag = await file(stub, stub.user(7001, "Rina"), "internet mati")
        await wait_decision(stub, tag)
    assert reminders(stub) == []

    # It boots again with the Bot API's port refusing every connection.
    port = free_port()
    offline: Settings = make_settings(db, stub.token, f"http://127.0.0.1:{port}/bot")
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(offline, config, stop, ready=ready, sender_options=FAST_OUTBOX, backoff=FAST)
    )
    try:
        await until(lambda: (status(db) or ("",))[0] == "unreachable", what="'unreachable'")
        # The SOP clock runs meanwhile: the reminder is queued, waiting in the outbox.
        await until(
            lambda: rows(
                db,
                "SELECT 1 FROM outbox WHERE state='pending' AND chat_id=?"
                " AND payload LIKE '%Pengingat%'",
                ADB_ID,
            ),
            what="the reminder queued while Telegram is down",
        )
        assert not task.done(), "the bot is still running"
        assert not ready.is_set()
        assert "cannot reach the Bot API at TELEGRAM_API_BASE_URL" in caplog.text
        assert reminders(stub) == []

        async with forwarder(port, stub):  # Telegram answers again
            await asyncio.wait_for(ready.wait(), 15)
            sent = await until(lambda: reminders(stub), what="the reminder delivered")
            assert tag in sent[0]
            assert status(db) == ("reachable", None)
            # And the bot works as usual: a new complaint is acknowledged.
            tag2 = await file(stub, stub.user(7002, "Sari"), "printer mati")
            assert tag2 != tag
            stop.set()
            await asyncio.wait_for(task, 20)
    finally:
        stop.set()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_stopped_while_telegram_is_unreachable_ends_cleanly(tmp_path: Path) -> None:
    config = parse_config(FAST_CHECKS_TOML, model=OfficeConfig)
    settings = make_settings(tmp_path / "n.db", url=f"http://127.0.0.1:{free_port()}/bot")
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, config, stop, backoff=FAST))
    try:
        await until(
            lambda: (status(tmp_path / "n.db") or ("",))[0] == "unreachable",
            what="'unreachable'",
        )
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)  # returns: no "cannot reach" error, no exit 1


async def test_telegram_lost_while_running_is_stored_for_doctor_and_cleared_after(
    stub: BotApiStub, tmp_path: Path
) -> None:
    config = parse_config(FAST_CHECKS_TOML, model=OfficeConfig)
    db, port = tmp_path / "n.db", free_port()
    settings = make_settings(db, stub.token, f"http://127.0.0.1:{port}/bot")
    stop, ready = asyncio.Event(), asyncio.Event()
    async with forwarder(port, stub):
        task = asyncio.create_task(
            run_bot(settings, config, stop, ready=ready, sender_options=FAST_OUTBOX, backoff=FAST)
        )
        await asyncio.wait_for(ready.wait(), 15)
        assert status(db) == ("reachable", None)
    try:  # the line is down
        await until(lambda: (status(db) or ("",))[0] == "unreachable", what="'unreachable'")
        async with forwarder(port, stub):  # and back
            # the fetch loop's backoff may have grown to 16 s while the line was down
            await until(lambda: status(db) == ("reachable", None), 45, what="'reachable'")
            tag = await file(stub, stub.user(7003, "Dewi"), "internet mati")
            assert tag.startswith("#K")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
