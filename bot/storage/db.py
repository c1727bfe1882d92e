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
import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Self

import aiosqlite

from bot.domain.clock import Clock, utc_now
from bot.storage.audit import AuditReads, AuditWrites
from bot.storage.complaints import ComplaintReads, ComplaintWrites
from bot.storage.documents import DocumentReads, DocumentWrites
from bot.storage.inbox import InboxReads, InboxWrites
from bot.storage.incidents import IncidentReads, IncidentWrites
from bot.storage.monitor import MonitorReads, MonitorWrites
from bot.storage.notices import NoticeReads
from bot.storage.outbox import OutboxReads, OutboxWrites
from bot.storage.status import StatusReads, StatusWrites

log = logging.getLogger(__name__)
MIGRATIONS = "migrations"
OUR_TABLES = frozenset({"complaints", "timeline", "inbox", "outbox"})  # since migration 0001
BUSY_TIMEOUT_S = 10.0  # SQLite waits this for another program's lock, then the write fails
CACHE_KIB = 512  # SQLite's page cache per connection (its default is 2,000 KiB)
FIX = "set NETMAINT_DB to the bot's database file, or to a new path to start an empty one"


class StorageError(Exception):
    """The database cannot be opened; the message names NETMAINT_DB and what to fix."""


class Reads:
    """Every read query, on the read-only connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.complaints = ComplaintReads(db)
        self.incidents = IncidentReads(db)
        self.outbox = OutboxReads(db)
        self.inbox = InboxReads(db)
        self.audit = AuditReads(db)
        self.monitor = MonitorReads(db)
        self.documents = DocumentReads(db)
        self.status = StatusReads(db)
        self.notices = NoticeReads(db)


class Tx:
    """Every query of one write transaction; only valid inside ``Database.write()``."""

    def __init__(self, db: aiosqlite.Connection, now: datetime) -> None:
        self.now = now
        self.complaints = ComplaintWrites(db, now)
        self.incidents = IncidentWrites(db, now)
        self.outbox = OutboxWrites(db, now)
        self.inbox = InboxWrites(db, now)
        self.audit = AuditWrites(db, now)
        self.monitor = MonitorWrites(db, now)
        self.documents = DocumentWrites(db, now)
        self.status = StatusWrites(db, now)
        self.notices = NoticeReads(db, now)  # read inside the transaction that queues one


class Database:
    """``async with Database(path) as db:`` opens, migrates and closes."""

    def __init__(
        self, path: Path | str, clock: Clock = utc_now, busy_timeout_s: float = BUSY_TIMEOUT_S
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.busy_timeout_s = busy_timeout_s
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
        """Open and migrate; raise ``StorageError`` (naming NETMAINT_DB) if the file is not
        usable, and then leave it exactly as it was: a foreign database is not switched to
        WAL, random bytes are not overwritten."""
        _check_path(self.path)
        _create_private(self.path)
        try:
            writer = await _connect(self.path, self.busy_timeout_s)
        except sqlite3.Error as exc:
            raise StorageError(
                f"NETMAINT_DB={self.path}: cannot open it ({exc}); check that "
                f"this user may read and write it, or {FIX}"
            ) from None
        reader: aiosqlite.Connection | None = None
        try:
            await _check_ours(writer, self.path)
            _tighten(self.path)
            await writer.execute("PRAGMA journal_mode=WAL")
            await writer.execute("PRAGMA synchronous=FULL")
            await writer.execute("PRAGMA foreign_keys=ON")
            await _bound_cache(writer)
            await _migrate(writer)
            reader = await _connect(self.path, self.busy_timeout_s)
            await reader.execute("PRAGMA query_only=ON")
            await _bound_cache(reader)
        except BaseException as exc:
            for conn in (reader, writer):  # neither left for the garbage collector
                if conn is not None:
                    await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(_explain(self.path, exc)) from None
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
        """One short write transaction; commits on success, rolls back on any error.

        BEGIN and COMMIT are inside the ``try``: a task cancelled while its BEGIN waits
        (a diagnosis restarted, a stop) has that BEGIN run anyway on aiosqlite's thread,
        and a COMMIT SQLite refuses (a deferred constraint) leaves the transaction open;
        either way the ROLLBACK is queued behind it, in order, before the lock goes to
        the next writer. Without that the shared connection stayed inside a transaction
        and every later write failed ("cannot start a transaction within a transaction").
        """
        async with self._lock:
            db = self.connection
            try:
                await _begin(db)
                yield Tx(db, self.clock())
                await db.execute("COMMIT")
            except BaseException:
                await _rollback(db)
                raise


async def _begin(db: aiosqlite.Connection) -> None:
    """``BEGIN IMMEDIATE``; a transaction someone left open (not through ``write()``) is
    rolled back first, said in the log, instead of failing this write and all after it."""
    try:
        await db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "within a transaction" not in str(exc):
            raise
        log.warning(
            "a transaction was left open on the database's write connection; "
            "rolled back (its changes were never committed)"
        )
        await db.execute("ROLLBACK")
        await db.execute("BEGIN IMMEDIATE")


async def _rollback(db: aiosqlite.Connection) -> None:
    """Roll back whatever is open; none open (BEGIN failed, SQLite already rolled back
    after an error, a cancelled COMMIT that ran) is fine, and must not hide the error."""
    try:
        await db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            log.warning("rolling back a write failed (%s); the next write rolls it back", exc)


def _create_private(path: Path) -> None:
    """A new database file is created readable by the bot's user only, before SQLite opens
    it: the agenda holds staff names and complaint texts, and SQLite creates its ``-wal``
    and ``-shm`` files with the database file's own mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _tighten(path: Path) -> None:
    """Files left 0644 by an older version are made private (ours only: called after the
    file is known to be netmaint's). One we may not chmod is logged, not fatal."""
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(f.stat().st_mode)
            if mode & 0o077:
                f.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning(
                "%s is readable by other users and cannot be changed (%s); run: chmod 600 %s*",
                f,
                exc.strerror,
                path,
            )


def _check_path(path: Path) -> None:
    """What SQLite would report in its own words ("unable to open database file")."""
    if path.is_dir():
        raise StorageError(
            f"NETMAINT_DB={path} is a folder; set NETMAINT_DB to a file in it, "
            f"e.g. {path / 'netmaint.db'}"
        )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"NETMAINT_DB={path}: cannot create its folder {path.parent} "
            f"({exc.strerror or exc}); create it, writable by this user, or set NETMAINT_DB "
            "to a path in an existing folder"
        ) from None
    if not path.parent.is_dir():
        raise StorageError(
            f"NETMAINT_DB={path}: {path.parent} is not a folder; "
            "set NETMAINT_DB to a path in a folder"
        )
    # WAL keeps two files next to the database: the folder must be writable too.
    for what, where in (("the file", path), ("its folder", path.parent)):
        if where.exists() and not os.access(where, os.R_OK | os.W_OK):
            raise StorageError(
                f"NETMAINT_DB={path}: {what} is read-only (for this user, or a read-only "
                f"mount); let this user write to {where} (SQLite keeps its -wal file next "
                f"to the database), or {FIX}"
            )


async def _check_ours(db: aiosqlite.Connection, path: Path) -> None:
    """Refuse another program's database before anything writes to it.

    Ours is empty (a new file), or has our tables and a ``user_version`` this code knows.
    """
    rows = await db.execute_fetchall("SELECT name FROM sqlite_master WHERE type='table'")
    tables = {str(r[0]) for r in rows}
    version = int(next(iter(await db.execute_fetchall("PRAGMA user_version")))[0])
    if not tables and version == 0:
        return
    if version == 0 or not OUR_TABLES.issubset(tables):
        shown = ", ".join(sorted(tables)[:5]) or "none"
        raise StorageError(
            f"NETMAINT_DB={path} is another program's SQLite database "
            f"(tables: {shown}); left as it was; {FIX}"
        )
    latest = max(_migration_number(f.name) for f in _migration_files())
    if version > latest:
        raise StorageError(
            f"NETMAINT_DB={path} was written by a newer netmaint (schema "
            f"{version}, this one knows up to {latest}); left as it was; "
            "run the newer netmaint, or restore a backup made by this one"
        )


def _explain(path: Path, exc: sqlite3.Error) -> str:
    """An SQLite error while opening, in words that name NETMAINT_DB and the fix."""
    text = str(exc)
    if "not a database" in text:
        return (
            f"NETMAINT_DB={path} is not an SQLite database (SQLite says: {text}); "
            f"left as it was; {FIX}"
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"NETMAINT_DB={path} is read-only for this user (SQLite says: {text}); "
            f"give this user write permission on the file and its folder, or {FIX}"
        )
    if "locked" in text or "busy" in text:
        return (
            f"NETMAINT_DB={path} is locked by another program (SQLite says: {text}); "
            "stop the other program (another netmaint?) and start again"
        )
    return f"NETMAINT_DB={path} cannot be used (SQLite says: {text}); {FIX}"


async def _connect(path: Path, busy_timeout_s: float) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = aiosqlite.Row
    await db.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
    return db


async def _bound_cache(db: aiosqlite.Connection) -> None:
    """A bounded page cache: SQLite's default (2 MB on each of two connections) is
    resident memory the bot keeps for good once the agenda outgrows it, and every query
    here reads a few pages by index, which the OS caches anyway."""
    await db.execute(f"PRAGMA cache_size=-{CACHE_KIB:d}")


async def _migrate(db: aiosqlite.Connection) -> None:
    """Apply each migration file newer than ``user_version``, each in its own transaction."""
    cur = await db.execute("PRAGMA user_version")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    for f in _migration_files():
        number = _migration_number(f.name)
        if number <= version:
            continue
        log.info("applying schema migration %s", f.name)
        try:
            await _begin(db)
            for statement in _statements(f.read_text(encoding="utf-8")):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version={number:d}")
            await db.execute("COMMIT")
        except BaseException:
            await _rollback(db)
            raise


def _migration_files() -> list[Traversable]:
    """The migration files in order; two with one number is a merge mistake, said at once
    (``_migrate`` would silently skip the second: ``user_version`` already has its number)."""
    files = sorted(
        (
            f
            for f in resources.files("bot.storage").joinpath(MIGRATIONS).iterdir()
            if f.name.endswith(".sql")
        ),
        key=lambda f: f.name,
    )
    numbers = [_migration_number(f.name) for f in files]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise RuntimeError(
            f"two schema migrations share the number {twice[0]:04d} in "
            f"bot/storage/{MIGRATIONS}; renumber the newer one"
        )
    return files


def _migration_number(name: str) -> int:
    return int(name.split("_", 1)[0])


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our files hold no ';' inside strings or triggers)."""
    lines = [ln.split("--", 1)[0] for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
