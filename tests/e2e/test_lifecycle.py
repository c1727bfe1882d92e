"""Stopping the real bot process: SIGTERM finishes in-flight work, loses nothing and exits 0;
on every exit path the database is closed (WAL checkpointed) and intact."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.crash_loop import bot_env, integrity, query, start_bot
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import QUESTION, until
from tests.support.office import ADB_ID, USER_ID

# Eight pings half a second apart: the diagnosis is still running when SIGTERM comes.
SLOW_CONFIG = """
[[targets]]
name = "gateway"
host = "127.0.0.1"

[[services]]
name = "SIAK web"
host = "127.0.0.1"
port = {port}
software = true

[thresholds]
ping_count = 8
ping_interval_s = 0.5
ping_timeout_s = 0.5
tcp_timeout_s = 0.5
"""


@pytest.fixture
async def config_file(tmp_path: Path) -> AsyncIterator[Path]:
    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    path = tmp_path / "netmaint.toml"
    path.write_text(SLOW_CONFIG.format(port=server.sockets[0].getsockname()[1]))
    async with server:
        yield path


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    return await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout)


def wal_left(db: Path) -> int:
    """Bytes left in the write-ahead log (0 once the last connection closed cleanly)."""
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_sigterm_finishes_the_running_diagnosis_and_exits_0(
    stub: BotApiStub, config_file: Path, tmp_path: Path
) -> None:
    db, log = tmp_path / "netmaint.db", tmp_path / "bot.log"
    proc = start_bot(bot_env(stub, db, config_file), log)
    try:
        await until(lambda: stub.calls_to("getUpdates"), 20, "the bot polling")
        stub.send_text(stub.user(USER_ID, "Rina"), "/lapor jaringan mati")
        await until(lambda: stub.find(ADB_ID, "Diagnosis keluhan #K1"), 20, "the diagnosis")
        assert query(db, "SELECT state FROM complaints WHERE id=1") == [("diagnosing",)]
        assert QUESTION not in stub.find(ADB_ID, "#K1")["text"], "SIGTERM comes mid-diagnosis"
        proc.send_signal(signal.SIGTERM)
        code = await wait_exit(proc, 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, log.read_text()
    # The diagnosis finished and the ADB got the decision buttons before the exit.
    msg = stub.find(ADB_ID, "Diagnosis keluhan #K1")
    assert QUESTION in msg["text"] and stub.buttons(msg)
    assert query(db, "SELECT state FROM complaints WHERE id=1") == [("awaiting_decision",)]
    assert query(db, "SELECT COUNT(*) FROM outbox WHERE state='pending'") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM inbox WHERE handled=0") == [(0,)], "every update handled"
    assert wal_left(db) == 0, "WAL checkpointed on close"
    assert integrity(db) == "ok"


async def test_sigterm_when_idle_and_a_refused_token_both_close_the_database(
    stub: BotApiStub, config_file: Path, tmp_path: Path
) -> None:
    db, log = tmp_path / "netmaint.db", tmp_path / "bot.log"
    env = bot_env(stub, db, config_file)
    proc = start_bot(env, log)
    try:
        await until(lambda: stub.calls_to("getUpdates"), 20, "the bot polling")
        proc.send_signal(signal.SIGTERM)
        assert await wait_exit(proc, 10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert wal_left(db) == 0 and integrity(db) == "ok"

    # Another exit path: Telegram refuses the token at start-up (after the store opened).
    env["TELEGRAM_BOT_TOKEN"] = "123456789:a-token-telegram-does-not-know"
    proc = start_bot(env, log)
    try:
        assert await wait_exit(proc, 20) == 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "TELEGRAM_BOT_TOKEN was refused" in log.read_text()
    assert "a-token-telegram-does-not-know" not in log.read_text()
    assert wal_left(db) == 0 and integrity(db) == "ok"
