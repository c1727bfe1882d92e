"""The base of every query class: one connection, and "now" for the writes.

Each query is written once, in a ``*Reads`` class; the ``*Writes`` class of
the same table extends it, so a write transaction reads with exactly the same
SQL as the read side (which runs on its own read-only connection).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

Params = tuple[Any, ...]


class Table:
    """SQL on one connection. Reads need no clock; writes get the transaction's time."""

    def __init__(self, db: aiosqlite.Connection, now: datetime | None = None) -> None:
        self._db = db
        self._now = now

    @property
    def now(self) -> datetime:
        """The time of the write transaction (one clock reading for all its rows)."""
        if self._now is None:
            raise RuntimeError("writes need a transaction: use Database.write()")
        return self._now

    async def _all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows, read in one call on the connection's thread.

        Not ``execute`` then ``fetchall``: between the two another coroutine's query could
        run while this statement is still open, and SQLite would answer it from this
        statement's older snapshot (a read of a row already sent, a count already past).
        """
        return list(await self._db.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _count(self, sql: str, params: Params = ()) -> int:
        row = await self._one(sql, params)
        return int(row[0] or 0) if row else 0

    async def _exec(self, sql: str, params: Params = ()) -> int:
        """Run a write; returns the number of rows it changed."""
        cur = await self._db.execute(sql, params)
        return int(cur.rowcount)

    async def _insert(self, sql: str, params: Params) -> int:
        cur = await self._db.execute(sql, params)
        assert cur.lastrowid is not None
        return int(cur.lastrowid)
