"""The agenda in SQLite: complaints, timeline, inbox, outbox, vendor calls.

One aiosqlite connection in WAL mode with ``synchronous=FULL``. aiosqlite
interleaves coroutines on one connection, so an ``asyncio.Lock`` makes every
transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) and every read exclusive:
a read never sees another coroutine's half-done transaction. A state change,
its timeline rows and the outbox rows it causes are written in one ``write()``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.sop import Clock, State, utc_now

log = logging.getLogger(__name__)


def iso(t: datetime) -> str:
    """How times are stored: ISO-8601 in UTC."""
    return t.isoformat(timespec="microseconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint as stored."""

    id: int
    state: State
    reporter_id: int | None
    reporter_chat_id: int | None
    reporter_name: str
    filed_by_id: int | None
    filed_by_name: str | None
    channel: str
    site: str | None
    text: str
    round: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @property
    def tag(self) -> str:
        return f"#K{self.id}"


@dataclass(frozen=True, slots=True)
class Event:
    """One timeline row."""

    id: int
    complaint_id: int
    at: datetime
    kind: str
    step: int | None
    round: int | None
    actor_id: int | None
    actor_name: str | None
    state_from: str | None
    state_to: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message to deliver."""

    id: int
    chat_id: int
    complaint_id: int | None
    method: str
    payload: dict[str, Any]
    ref_outbox_id: int | None
    purpose: str | None
    step: int | None
    state: str
    attempts: int
    message_id: int | None
    failures: int = 0  # outbox delivery: transient errors so far (sets the backoff)
    ambiguous: int = 0  # outbox delivery: attempts that may have reached Telegram


@dataclass(frozen=True, slots=True)
class VendorCall:
    id: int
    complaint_id: int
    vendor: str
    called_at: datetime
    called_by_name: str | None
    ticket: str | None
    fixed_at: datetime | None


def _complaint(r: aiosqlite.Row) -> Complaint:
    return Complaint(
        id=r["id"],
        state=State(r["state"]),
        reporter_id=r["reporter_id"],
        reporter_chat_id=r["reporter_chat_id"],
        reporter_name=r["reporter_name"],
        filed_by_id=r["filed_by_id"],
        filed_by_name=r["filed_by_name"],
        channel=r["channel"],
        site=r["site"],
        text=r["text"],
        round=r["round"],
        created_at=datetime.fromisoformat(r["created_at"]),
        updated_at=datetime.fromisoformat(r["updated_at"]),
        closed_at=parse_time(r["closed_at"]),
    )


def _event(r: aiosqlite.Row) -> Event:
    return Event(
        id=r["id"],
        complaint_id=r["complaint_id"],
        at=datetime.fromisoformat(r["at"]),
        kind=r["kind"],
        step=r["step"],
        round=r["round"],
        actor_id=r["actor_id"],
        actor_name=r["actor_name"],
        state_from=r["state_from"],
        state_to=r["state_to"],
        detail=json.loads(r["detail"]) if r["detail"] else {},
    )


def _outbox(r: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        id=r["id"],
        chat_id=r["chat_id"],
        complaint_id=r["complaint_id"],
        method=r["method"],
        payload=json.loads(r["payload"]),
        ref_outbox_id=r["ref_outbox_id"],
        purpose=r["purpose"],
        step=r["step"],
        state=r["state"],
        attempts=r["attempts"],
        message_id=r["message_id"],
        failures=r["failures"],
        ambiguous=r["ambiguous"],
    )


# --- reads shared by Store (under its lock) and Tx (inside a transaction) -------------------

async def _rows(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    cur = await db.execute(sql, params)
    return list(await cur.fetchall())


async def q_complaint(db: aiosqlite.Connection, complaint_id: int) -> Complaint | None:
    rows = await _rows(db, "SELECT * FROM complaints WHERE id=?", (complaint_id,))
    return _complaint(rows[0]) if rows else None


async def q_timeline(db: aiosqlite.Connection, complaint_id: int) -> list[Event]:
    rows = await _rows(db, "SELECT * FROM timeline WHERE complaint_id=? ORDER BY id",
                       (complaint_id,))
    return [_event(r) for r in rows]


async def q_checks(db: aiosqlite.Connection, complaint_id: int, round: int) -> list[Event]:
    rows = await _rows(
        db,
        "SELECT * FROM timeline WHERE complaint_id=? AND round=? AND kind='check' ORDER BY id",
        (complaint_id, round),
    )
    return [_event(r) for r in rows]


async def q_vendor_calls(db: aiosqlite.Connection, complaint_id: int) -> list[VendorCall]:
    rows = await _rows(db, "SELECT * FROM vendor_calls WHERE complaint_id=? ORDER BY id",
                       (complaint_id,))
    return [
        VendorCall(
            id=r["id"],
            complaint_id=r["complaint_id"],
            vendor=r["vendor"],
            called_at=datetime.fromisoformat(r["called_at"]),
            called_by_name=r["called_by_name"],
            ticket=r["ticket"],
            fixed_at=parse_time(r["fixed_at"]),
        )
        for r in rows
    ]


async def q_outbox_for(
    db: aiosqlite.Connection, complaint_id: int, purpose: str
) -> list[OutboxRow]:
    rows = await _rows(
        db,
        "SELECT * FROM outbox WHERE complaint_id=? AND purpose=? AND method='sendMessage'"
        " ORDER BY id",
        (complaint_id, purpose),
    )
    return [_outbox(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a Telegram user, or the bot (id None)."""

    id: int | None
    name: str

    @classmethod
    def bot(cls) -> Actor:
        return cls(None, "netmaint")


class Tx:
    """The writes of one transaction; only valid inside ``Store.write()``."""

    def __init__(self, db: aiosqlite.Connection, now: datetime) -> None:
        self._db = db
        self.now = now

    # reads inside the transaction
    async def complaint(self, complaint_id: int) -> Complaint | None:
        return await q_complaint(self._db, complaint_id)

    async def timeline(self, complaint_id: int) -> list[Event]:
        return await q_timeline(self._db, complaint_id)

    async def checks(self, complaint_id: int, round: int) -> list[Event]:
        return await q_checks(self._db, complaint_id, round)

    async def vendor_calls(self, complaint_id: int) -> list[VendorCall]:
        return await q_vendor_calls(self._db, complaint_id)

    async def outbox_for(self, complaint_id: int, purpose: str) -> list[OutboxRow]:
        return await q_outbox_for(self._db, complaint_id, purpose)

    async def _insert(self, sql: str, params: tuple[Any, ...]) -> int:
        cur = await self._db.execute(sql, params)
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def add_complaint(
        self,
        *,
        state: State,
        reporter: Actor,
        reporter_chat_id: int | None,
        channel: str,
        site: str | None,
        text: str,
        filed_by: Actor | None = None,
        source_update_id: int | None = None,
    ) -> int | None:
        """File a complaint; None if this update already filed one."""
        cur = await self._db.execute(
            "INSERT OR IGNORE INTO complaints (state, reporter_id, reporter_chat_id, reporter_name,"
            " filed_by_id, filed_by_name, channel, site, text, source_update_id, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                state,
                reporter.id,
                reporter_chat_id,
                reporter.name,
                filed_by.id if filed_by else None,
                filed_by.name if filed_by else None,
                channel,
                site,
                text,
                source_update_id,
                iso(self.now),
                iso(self.now),
            ),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def set_state(self, complaint_id: int, old: State, new: State) -> bool:
        """Conditional update: True only if the complaint was still in ``old``."""
        closed = iso(self.now) if new is State.CLOSED else None
        cur = await self._db.execute(
            "UPDATE complaints SET state=?, updated_at=?, closed_at=COALESCE(?, closed_at)"
            " WHERE id=? AND state=?",
            (new, iso(self.now), closed, complaint_id, old),
        )
        return cur.rowcount == 1

    async def next_round(self, complaint_id: int) -> int:
        """Start another diagnosis run (a re-check); returns its number."""
        await self._db.execute("UPDATE complaints SET round=round+1 WHERE id=?", (complaint_id,))
        cur = await self._db.execute("SELECT round FROM complaints WHERE id=?", (complaint_id,))
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def event(
        self,
        complaint_id: int,
        kind: str,
        *,
        actor: Actor | None = None,
        step: int | None = None,
        round: int | None = None,
        state_from: str | None = None,
        state_to: str | None = None,
        at: datetime | None = None,
        **detail: Any,
    ) -> int:
        """Append a timeline row."""
        actor = actor or Actor.bot()
        return await self._insert(
            "INSERT INTO timeline (complaint_id, at, kind, step, round, actor_id, actor_name,"
            " state_from, state_to, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                complaint_id,
                iso(at or self.now),
                kind,
                step,
                round,
                actor.id,
                actor.name,
                state_from,
                state_to,
                json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            ),
        )

    async def enqueue(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        *,
        complaint_id: int | None = None,
        purpose: str | None = None,
        ref_outbox_id: int | None = None,
        step: int | None = None,
    ) -> int:
        """Queue a Bot API call for the sender."""
        return await self._insert(
            "INSERT INTO outbox (chat_id, complaint_id, method, payload, ref_outbox_id, purpose,"
            " step, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                chat_id,
                complaint_id,
                method,
                json.dumps(payload, ensure_ascii=False),
                ref_outbox_id,
                purpose,
                step,
                iso(self.now),
            ),
        )

    async def outbox_done(self, row_id: int, state: str, *, message_id: int | None = None,
                          error: str | None = None) -> None:
        await self._db.execute(
            "UPDATE outbox SET state=?, message_id=COALESCE(?, message_id), last_error=?,"
            " attempts=attempts+1, sending_at=NULL,"
            " sent_at=CASE WHEN ?='sent' THEN ? ELSE sent_at END"
            " WHERE id=?",
            (state, message_id, error, state, iso(self.now), row_id),
        )

    async def outbox_retry(self, row_id: int, not_before: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts=attempts+1, not_before=?, last_error=?, sending_at=NULL"
            " WHERE id=?",
            (iso(not_before), error, row_id),
        )

    # outbox delivery
    async def outbox_begin(self, row_id: int) -> None:
        """Mark a row in flight; if it already was, the last process died mid-send."""
        await self._db.execute(
            "UPDATE outbox SET ambiguous=ambiguous+(sending_at IS NOT NULL), sending_at=?"
            " WHERE id=?",
            (iso(self.now), row_id),
        )

    async def outbox_failed(self, row_id: int, not_before: datetime, error: str, *,
                            ambiguous: bool) -> None:
        """A transient failure (timeout, 5xx, reset): retry at ``not_before``."""
        await self._db.execute(
            "UPDATE outbox SET attempts=attempts+1, failures=failures+1,"
            " ambiguous=ambiguous+?, not_before=?, last_error=?, sending_at=NULL WHERE id=?",
            (int(ambiguous), iso(not_before), error, row_id),
        )

    async def outbox_gave_up(self, row_id: int, error: str, *, ambiguous: bool) -> None:
        await self._db.execute(
            "UPDATE outbox SET state='failed', attempts=attempts+1, failures=failures+1,"
            " ambiguous=ambiguous+?, last_error=?, sending_at=NULL WHERE id=?",
            (int(ambiguous), error, row_id),
        )

    async def outbox_drop_chat(self, chat_id: int, state: str) -> int:
        """Give up on every pending row of a chat (it blocked the bot)."""
        cur = await self._db.execute(
            "UPDATE outbox SET state=? WHERE chat_id=? AND state='pending'", (state, chat_id)
        )
        return cur.rowcount

    async def inbox_add(self, update_id: int, raw: str) -> bool:
        cur = await self._db.execute(
            "INSERT OR IGNORE INTO inbox (update_id, raw, received_at) VALUES (?,?,?)",
            (update_id, raw, iso(self.now)),
        )
        return cur.rowcount == 1

    async def inbox_done(self, update_id: int, error: str | None = None) -> None:
        await self._db.execute(
            "UPDATE inbox SET handled=1, handled_at=?, error=? WHERE update_id=?",
            (iso(self.now), error, update_id),
        )

    async def mark_unreachable(self, chat_id: int, reason: str) -> None:
        await self._db.execute(
            "INSERT INTO chats (chat_id, unreachable_at, reason) VALUES (?,?,?)"
            " ON CONFLICT(chat_id) DO UPDATE SET unreachable_at=excluded.unreachable_at,"
            " reason=excluded.reason",
            (chat_id, iso(self.now), reason),
        )

    async def clear_unreachable(self, chat_id: int) -> None:
        await self._db.execute(
            "UPDATE chats SET unreachable_at=NULL, reason=NULL WHERE chat_id=?", (chat_id,)
        )

    async def set_dialog(self, user_id: int, chat_id: int, stage: str, site: str | None) -> None:
        await self._db.execute(
            "INSERT INTO dialogs (user_id, chat_id, stage, site, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(user_id) DO UPDATE SET chat_id=excluded.chat_id, stage=excluded.stage,"
            " site=excluded.site, updated_at=excluded.updated_at",
            (user_id, chat_id, stage, site, iso(self.now)),
        )

    async def clear_dialog(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM dialogs WHERE user_id=?", (user_id,))

    async def add_vendor_call(self, complaint_id: int, vendor: str, by: Actor) -> int:
        return await self._insert(
            "INSERT INTO vendor_calls (complaint_id, vendor, called_at, called_by_id,"
            " called_by_name) VALUES (?,?,?,?,?)",
            (complaint_id, vendor, iso(self.now), by.id, by.name),
        )

    async def set_ticket(self, complaint_id: int, ticket: str) -> bool:
        """Record the vendor's ticket number on the complaint's latest call."""
        cur = await self._db.execute(
            "UPDATE vendor_calls SET ticket=? WHERE id=(SELECT MAX(id) FROM vendor_calls"
            " WHERE complaint_id=?)",
            (ticket, complaint_id),
        )
        return cur.rowcount == 1

    async def vendor_fixed(self, complaint_id: int) -> None:
        await self._db.execute(
            "UPDATE vendor_calls SET fixed_at=? WHERE complaint_id=? AND fixed_at IS NULL",
            (iso(self.now), complaint_id),
        )

    # authorisation and limits
    async def audit(self, *, update_id: int | None, user: Actor, chat_id: int | None,
                    kind: str, what: str | None, outcome: str,
                    complaint_id: int | None = None) -> bool:
        """Record a refused press or command; False if this update was recorded before."""
        cur = await self._db.execute(
            "INSERT OR IGNORE INTO audit (at, update_id, user_id, user_name, chat_id, kind, what,"
            " complaint_id, outcome) VALUES (?,?,?,?,?,?,?,?,?)",
            (iso(self.now), update_id, user.id, user.name, chat_id, kind,
             what[:64] if what else what, complaint_id, outcome),
        )
        return cur.rowcount == 1

    async def may_file(self, reporter_id: int, update_id: int | None, since: datetime,
                       limit: int) -> bool:
        """Whether a complaint may be filed: this update filed it already, or under ``limit``.

        One statement inside the write transaction, so two updates cannot both slip through.
        """
        cur = await self._db.execute(
            "SELECT EXISTS(SELECT 1 FROM complaints WHERE source_update_id=?)"
            " OR (SELECT COUNT(*) FROM complaints WHERE reporter_id=? AND filed_by_id IS NULL"
            " AND created_at>=?) < ?",
            (update_id, reporter_id, iso(since), limit),
        )
        row = await cur.fetchone()
        return bool(row and row[0])


MIGRATIONS = "migrations"


class Store:
    """The repository. ``async with Store(path) as store:`` opens, migrates and closes."""

    def __init__(self, path: Path | str, clock: Clock = utc_now) -> None:
        self.path = Path(path)
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA busy_timeout=10000")
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            await self._migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @staticmethod
    async def _migrate(db: aiosqlite.Connection) -> None:
        cur = await db.execute("PRAGMA user_version")
        row = await cur.fetchone()
        version = int(row[0]) if row else 0
        files = sorted(
            (f for f in resources.files("bot").joinpath(MIGRATIONS).iterdir()
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

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One short write transaction; commits on success, rolls back on any error."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self.db, self.clock())
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            cur = await self.db.execute(sql, params)
            return list(await cur.fetchall())

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    # --- complaints -------------------------------------------------------------------------

    async def complaint(self, complaint_id: int) -> Complaint | None:
        async with self._lock:
            return await q_complaint(self.db, complaint_id)

    async def complaints_in(self, states: tuple[State, ...]) -> list[Complaint]:
        marks = ",".join("?" * len(states))
        rows = await self._all(
            f"SELECT * FROM complaints WHERE state IN ({marks}) ORDER BY id",  # noqa: S608
            tuple(states),
        )
        return [_complaint(r) for r in rows]

    async def agenda(self, since: datetime) -> list[Complaint]:
        """Open complaints and those filed since ``since`` (start of today)."""
        rows = await self._all(
            "SELECT * FROM complaints WHERE state != ? OR created_at >= ? ORDER BY id",
            (State.CLOSED, iso(since)),
        )
        return [_complaint(r) for r in rows]

    async def complaints_all(self) -> list[Complaint]:
        rows = await self._all("SELECT * FROM complaints ORDER BY id")
        return [_complaint(r) for r in rows]

    async def complaints_of(self, reporter_id: int, limit: int = 10) -> list[Complaint]:
        rows = await self._all(
            "SELECT * FROM complaints WHERE reporter_id=? ORDER BY id DESC LIMIT ?",
            (reporter_id, limit),
        )
        return [_complaint(r) for r in rows]

    async def timeline(self, complaint_id: int) -> list[Event]:
        async with self._lock:
            return await q_timeline(self.db, complaint_id)

    async def checks(self, complaint_id: int, round: int) -> list[Event]:
        """The check results of one diagnosis run, in the order they finished."""
        async with self._lock:
            return await q_checks(self.db, complaint_id, round)

    async def vendor_calls(self, complaint_id: int) -> list[VendorCall]:
        async with self._lock:
            return await q_vendor_calls(self.db, complaint_id)

    # --- dialogs ----------------------------------------------------------------------------

    async def dialog(self, user_id: int) -> tuple[str, str | None] | None:
        row = await self._one("SELECT stage, site FROM dialogs WHERE user_id=?", (user_id,))
        return (row["stage"], row["site"]) if row else None

    # --- inbox ------------------------------------------------------------------------------

    async def inbox_unhandled(self) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT update_id, raw FROM inbox WHERE handled=0 ORDER BY update_id"
        )
        return [(r["update_id"], r["raw"]) for r in rows]

    async def inbox_next_offset(self) -> int | None:
        row = await self._one("SELECT MAX(update_id) AS m FROM inbox")
        return None if row is None or row["m"] is None else int(row["m"]) + 1

    # --- outbox -----------------------------------------------------------------------------

    async def outbox_due(self, now: datetime) -> list[OutboxRow]:
        """The oldest pending row of each chat, if it is due (later rows wait: order per chat)."""
        rows = await self._all(
            "SELECT o.* FROM outbox o WHERE o.state='pending'"
            " AND o.id=(SELECT MIN(p.id) FROM outbox p WHERE p.chat_id=o.chat_id"
            " AND p.state='pending')"
            " AND (o.not_before IS NULL OR o.not_before<=?) ORDER BY o.id",
            (iso(now),),
        )
        return [_outbox(r) for r in rows]

    async def outbox_next_due(self) -> datetime | None:
        row = await self._one(
            "SELECT MIN(not_before) AS t FROM outbox"
            " WHERE state='pending' AND not_before IS NOT NULL"
        )
        return parse_time(row["t"]) if row else None

    async def outbox_row(self, row_id: int) -> OutboxRow | None:
        row = await self._one("SELECT * FROM outbox WHERE id=?", (row_id,))
        return _outbox(row) if row else None

    async def outbox_has_newer_edit(self, row: OutboxRow) -> bool:
        found = await self._one(
            "SELECT 1 FROM outbox WHERE ref_outbox_id=? AND state='pending' AND id>?"
            " AND method=?",
            (row.ref_outbox_id, row.id, row.method),
        )
        return found is not None

    async def outbox_for(self, complaint_id: int, purpose: str) -> list[OutboxRow]:
        """The sendMessage rows of a complaint with this purpose (to edit them later)."""
        async with self._lock:
            return await q_outbox_for(self.db, complaint_id, purpose)

    async def outbox_pending_count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM outbox WHERE state='pending'")
        return int(row["n"]) if row else 0

    # outbox delivery
    async def outbox_possible_duplicates(self) -> int:
        """Sends that may have reached Telegram twice: ambiguous attempts of delivered messages."""
        row = await self._one(
            "SELECT COALESCE(SUM(ambiguous), 0) AS n FROM outbox"
            " WHERE method='sendMessage' AND state='sent'"
        )
        return int(row["n"]) if row else 0

    async def outbox_stats(self) -> dict[str, int]:
        """Rows per state, plus attempts, transient failures and ambiguous attempts overall."""
        rows = await self._all(
            "SELECT state, COUNT(*) AS n, SUM(attempts) AS a, SUM(failures) AS f,"
            " SUM(ambiguous) AS amb FROM outbox GROUP BY state"
        )
        out = {r["state"]: int(r["n"]) for r in rows}
        out["attempts"] = sum(int(r["a"] or 0) for r in rows)
        out["failures"] = sum(int(r["f"] or 0) for r in rows)
        out["ambiguous"] = sum(int(r["amb"] or 0) for r in rows)
        return out

    async def is_unreachable(self, chat_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM chats WHERE chat_id=? AND unreachable_at IS NOT NULL", (chat_id,)
        )
        return row is not None

    # authorisation and limits
    async def complaint_times(self, reporter_id: int, since: datetime) -> list[datetime]:
        """When this user filed complaints themselves since ``since``, oldest first."""
        rows = await self._all(
            "SELECT created_at FROM complaints WHERE reporter_id=? AND filed_by_id IS NULL"
            " AND created_at>=? ORDER BY created_at",
            (reporter_id, iso(since)),
        )
        return [datetime.fromisoformat(r["created_at"]) for r in rows]

    async def audit_count(self, user_id: int, outcome: str, since: datetime) -> int:
        """Refusals of one kind for a user since ``since`` (the flood guard's memory)."""
        row = await self._one(
            "SELECT COUNT(*) AS n FROM audit WHERE user_id=? AND outcome=? AND at>=?",
            (user_id, outcome, iso(since)),
        )
        return int(row["n"]) if row else 0


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our files hold no ';' inside strings or triggers)."""
    lines = [ln.split("--", 1)[0] for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
