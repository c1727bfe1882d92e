"""The database's lifecycle: open, migrate, one write connection and one read connection.

WAL mode with ``synchronous=FULL``. Writes go through one connection under an
``asyncio.Lock``: aiosqlite interleaves coroutines on a connection, and every
write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) must be alone on it. A
state change, its timeline rows and the outbox rows it causes are written in
one ``write()``. Reads outside a transaction use a second, read-only
connection, so they never wait for the lock and never see half a transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Self

import aiosqlite

from bot.sop.model import Clock, utc_now
from bot.storage.audit import AuditReads, AuditWrites
from bot.storage.complaints import ComplaintReads, ComplaintWrites
from bot.storage.documents import DocumentReads, DocumentWrites
from bot.storage.inbox import InboxReads, InboxWrites
from bot.storage.incidents import IncidentReads, IncidentWrites
from bot.storage.outbox import OutboxReads, OutboxWrites

log = logging.getLogger(__name__)
MIGRATIONS = "migrations"


class Reads:
    """Every read query, on the read-only connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.complaints = ComplaintReads(db)
        self.incidents = IncidentReads(db)
        self.outbox = OutboxReads(db)
        self.inbox = InboxReads(db)
        self.audit = AuditReads(db)
        self.documents = DocumentReads(db)


class Tx:
    """Every query of one write transaction; only valid inside ``Database.write()``."""

    def __init__(self, db: aiosqlite.Connection, now: datetime) -> None:
        self.now = now
        self.complaints = ComplaintWrites(db, now)
        self.incidents = IncidentWrites(db, now)
        self.outbox = OutboxWrites(db, now)
        self.inbox = InboxWrites(db, now)
        self.audit = AuditWrites(db, now)
        self.documents = DocumentWrites(db, now)


class Database:
    """``async with Database(path) as db:`` opens, migrates and closes."""

    def __init__(self, path: Path | str, clock: Clock = utc_now) -> None:
        self.path = Path(path)
        self.clock = clock
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._reads: Reads | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(self.path)
        try:
            await writer.execute("PRAGMA journal_mode=WAL")
            await writer.execute("PRAGMA synchronous=FULL")
            await writer.execute("PRAGMA foreign_keys=ON")
            await _migrate(writer)
            reader = await _connect(self.path)
            await reader.execute("PRAGMA query_only=ON")
        except BaseException:
            await writer.close()
            raise
        self._writer, self._reader, self._reads = writer, reader, Reads(reader)

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._writer = self._reader = self._reads = None

    @property
    def reads(self) -> Reads:
        """Read queries outside any transaction (committed data only)."""
        if self._reads is None:
            raise RuntimeError("the database is not open")
        return self._reads

    @property
    def connection(self) -> aiosqlite.Connection:
        """The write connection, for pragmas and checks (tests, maintenance)."""
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One short write transaction; commits on success, rolls back on any error."""
        async with self._lock:
            db = self.connection
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(db, self.clock())
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")


async def _connect(path: Path) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = aiosqlite.Row
    await db.execute("PRAGMA busy_timeout=10000")
    return db


async def _migrate(db: aiosqlite.Connection) -> None:
    """Apply each migration file newer than ``user_version``, each in its own transaction."""
    cur = await db.execute("PRAGMA user_version")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    files = sorted(
        (f for f in resources.files("bot.storage").joinpath(MIGRATIONS).iterdir()
         if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    for f in files:
        number = int(f.name.split("_", 1)[0])
        if number <= version:
            continue
        log.info("applying schema migration %s", f.name)
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(f.read_text(encoding="utf-8")):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version={number:d}")
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our files hold no ';' inside strings or triggers)."""
    lines = [ln.split("--", 1)[0] for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
