"""Every write works whatever the write before it left: a cancelled or refused write, or
a process killed with SIGKILL in the middle of a transaction.

The restart failure of issue 19 ("cannot start a transaction within a transaction" on
the restarted bot's first writes, then exit 1) came from a write cancelled while its
``BEGIN IMMEDIATE`` waited: aiosqlite runs a queued statement even when the coroutine
awaiting it is cancelled, so the BEGIN ran, nobody rolled it back, and the shared write
connection stayed in a transaction. A restarted diagnosis cancels the one resumed a
moment before, which is how a restart met it.

To cancel a write at an exact point, a progress handler holds the write connection's
thread inside SQLite at the next statement it runs, until the test lets it go.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import Database

RAW = '{"update_id": 1}'


class Gate:
    """Holds SQLite's thread at the next statement once armed, until ``release``."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.armed = False
        self.held = asyncio.Event()
        self._go = threading.Event()

    def progress(self) -> int:  # runs on aiosqlite's thread, inside a statement
        if self.armed:
            self.armed = False
            self.loop.call_soon_threadsafe(self.held.set)
            self._go.wait(10)
        return 0  # 0: go on (non-zero would interrupt the statement)

    def release(self) -> None:
        self._go.set()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "n.db") as database:
        yield database


async def stored(db: Database) -> set[int]:
    rows = await db.connection.execute_fetchall("SELECT update_id FROM inbox")
    return {int(r[0]) for r in rows}


async def store(db: Database, update_id: int) -> None:
    async with db.write() as tx:
        await tx.inbox.add(update_id, RAW)


@pytest.mark.parametrize("point", ["begin", "statement", "commit"])
async def test_a_write_cancelled_at_any_await_leaves_the_next_write_working(
    db: Database, point: str
) -> None:
    gate = Gate()
    await db.connection.set_progress_handler(gate.progress, 1)

    async def cancelled_write() -> None:
        if point == "begin":
            gate.armed = True
        async with db.write() as tx:
            if point == "statement":
                gate.armed = True
            await tx.inbox.add(1, RAW)
            if point == "commit":
                gate.armed = True

    task = asyncio.create_task(cancelled_write())
    await gate.held.wait()  # SQLite is inside the BEGIN, the INSERT or the COMMIT
    task.cancel()
    await asyncio.sleep(0)  # the cancellation reaches the write while SQLite still holds
    gate.release()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.connection.set_progress_handler(None, 1)

    await store(db, 2)  # the next write works (on main: "within a transaction" at BEGIN)
    await store(db, 3)
    got = await stored(db)
    assert {2, 3} <= got
    if point != "commit":  # cancelled before its COMMIT ran: nothing of it is kept
        assert 1 not in got
    assert not db.connection.in_transaction


async def test_a_commit_sqlite_refuses_is_rolled_back_and_the_next_write_works(
    db: Database,
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as tx:
            await tx.inbox.add(1, RAW)
            # A deferred foreign key is checked at COMMIT, which SQLite then refuses and
            # leaves the transaction open (on main nothing rolled it back).
            await db.connection.execute("PRAGMA defer_foreign_keys=ON")
            await db.connection.execute(
                "INSERT INTO timeline (complaint_id, at, kind) VALUES (999, '2026-01-01', 'x')"
            )
    await store(db, 2)
    assert await stored(db) == {2}


async def test_a_statement_error_is_raised_as_itself(db: Database) -> None:
    """The ROLLBACK after a failed statement never replaces the error the caller sees."""
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        async with db.write():
            await db.connection.execute("INSERT INTO nowhere VALUES (1)")
    await store(db, 2)
    assert await stored(db) == {2}


async def test_a_transaction_left_open_outside_write_is_rolled_back_not_fatal(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await db.connection.execute("BEGIN IMMEDIATE")  # e.g. raw SQL on the connection
    await db.connection.execute(
        "INSERT INTO inbox (update_id, raw, received_at) VALUES (1, 'x', 'y')"
    )
    await store(db, 2)
    assert await stored(db) == {2}
    assert "left open" in caplog.text


def kill(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as the crash loop does; then close our ends of its pipes."""
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()


KILLED_MID_TRANSACTION = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size=1")  # spill the uncommitted pages into the WAL
conn.execute("BEGIN IMMEDIATE")
for i in range(3000):
    conn.execute(
        "INSERT INTO inbox (update_id, raw, received_at) VALUES (?, ?, '2026-01-01')",
        (100000 + i, "x" * 400),
    )
print("inside", flush=True)
sys.stdin.read()  # killed here, the transaction open and its pages in the WAL
"""


async def test_restart_after_sigkill_inside_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    async with Database(path) as db:
        await store(db, 1)
    wal = Path(f"{path}-wal")
    before = wal.stat().st_size if wal.exists() else 0
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_TRANSACTION, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"inside"
        assert wal.stat().st_size > before + 100_000  # uncommitted frames are in the WAL
    finally:
        kill(child)
    assert child.returncode == -signal.SIGKILL

    async with Database(path) as db:  # what the restarted bot does first: open, write
        await store(db, 2)
        assert await stored(db) == {1, 2}  # the killed transaction's 3000 rows are gone
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_restart_after_sigkill_inside_a_write_of_the_bot(tmp_path: Path) -> None:
    """The same, with the bot's own ``Database.write`` killed between two statements."""
    path = tmp_path / "n.db"
    async with Database(path) as db:
        await store(db, 1)
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(Path.cwd())!r})
from bot.storage import Database

async def main():
    async with Database(sys.argv[1]) as db:
        async with db.write() as tx:
            await tx.inbox.add(5, "{{}}")
            print("inside", flush=True)
            await asyncio.sleep(60)

asyncio.run(main())
"""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, cwd=Path.cwd()
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"inside"
    finally:
        kill(child)
    async with Database(path) as db:
        await store(db, 2)
        assert await stored(db) == {1, 2}
