"""The SQLite store: durable settings, one winner per state change, atomic transactions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.model import Actor, State
from bot.storage import Database
from bot.storage.db import CACHE_KIB
from tests.support import REPO
from tests.support.clock import FakeClock

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


async def _file(db: Database, update_id: int | None = None) -> int | None:
    async with db.write() as tx:
        return await tx.complaints.add(
            state=State.AWAITING_DECISION,
            reporter=Actor(7, "Rina"),
            reporter_chat_id=7,
            channel="chat",
            site=None,
            text="internet mati",
            source_update_id=update_id,
        )


async def test_schema_pragmas_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "n.db"
    async with Database(path) as db:
        cid = await _file(db)
        mode = await (await db.connection.execute("PRAGMA journal_mode")).fetchone()
        sync = await (await db.connection.execute("PRAGMA synchronous")).fetchone()
        version = await (await db.connection.execute("PRAGMA user_version")).fetchone()
        latest = max(
            int(f.name.split("_", 1)[0]) for f in (REPO / "bot/storage/migrations").glob("*.sql")
        )
        assert (mode[0], sync[0], version[0]) == ("wal", 2, latest)  # 2 = FULL
        for conn in (db.connection, db._reader):  # memory bounded on both (issue 20)
            assert conn is not None
            cache = await (await conn.execute("PRAGMA cache_size")).fetchone()
            assert cache is not None and cache[0] == -CACHE_KIB
    async with Database(path) as db:  # migrations are not applied twice; data is kept
        c = await db.reads.complaints.get(cid)
        assert c is not None and c.text == "internet mati" and c.tag == f"#K{cid}"


async def test_a_state_changes_once_however_many_press_at_once(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        cid = await _file(db)

        async def press(new: State) -> bool:
            async with db.write() as tx:
                return await tx.complaints.set_state(cid, State.AWAITING_DECISION, new)

        results = await asyncio.gather(*(press(s) for s in [State.CLOSED, State.ESCALATED] * 10))
        assert results.count(True) == 1
        c = await db.reads.complaints.get(cid)
        assert c is not None and c.state in (State.CLOSED, State.ESCALATED)


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        cid = await _file(db)
        with pytest.raises(RuntimeError):
            async with db.write() as tx:
                await tx.complaints.set_state(cid, State.AWAITING_DECISION, State.CLOSED)
                await tx.complaints.event(cid, "decision", action="ya")
                await tx.outbox.enqueue(-1, "sendMessage", {"text": "x"}, complaint_id=cid)
                raise RuntimeError("crash between the writes")
        c = await db.reads.complaints.get(cid)
        assert c is not None and c.state is State.AWAITING_DECISION
        assert await db.reads.complaints.timeline(cid) == []
        assert await db.reads.outbox.pending_count() == 0


async def test_an_update_files_one_complaint_and_is_stored_once(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        assert await _file(db, update_id=10) is not None
        assert await _file(db, update_id=10) is None
        async with db.write() as tx:
            assert await tx.inbox.add(10, "{}") is True
            assert await tx.inbox.add(10, "{}") is False
        assert await db.reads.inbox.unhandled() == [(10, "{}")]
        async with db.write() as tx:
            await tx.inbox.done(10)
        assert await db.reads.inbox.unhandled() == []
        assert await db.reads.inbox.next_offset() == 11


async def test_outbox_serves_each_chat_in_order_and_waits_for_not_before(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with Database(tmp_path / "n.db", clock) as db:
        async with db.write() as tx:
            a1 = await tx.outbox.enqueue(1, "sendMessage", {"text": "a1"})
            a2 = await tx.outbox.enqueue(1, "sendMessage", {"text": "a2"})
            b1 = await tx.outbox.enqueue(2, "sendMessage", {"text": "b1"})
        assert [r.id for r in await db.reads.outbox.due(clock())] == [a1, b1]
        async with db.write() as tx:
            await tx.outbox.retry(a1, clock() + timedelta(seconds=30), "429")
            await tx.outbox.done(b1, "sent", message_id=5)
        assert [r.id for r in await db.reads.outbox.due(clock())] == [], "a2 waits behind a1"
        clock.now += timedelta(seconds=31)
        assert [r.id for r in await db.reads.outbox.due(clock())] == [a1]
        row = await db.reads.outbox.row(b1)
        assert row is not None and row.message_id == 5 and row.state == "sent"
        async with db.write() as tx:
            await tx.outbox.done(a1, "sent", message_id=6)
        assert [r.id for r in await db.reads.outbox.due(clock())] == [a2], "a2 follows a1"


async def test_times_come_from_the_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with Database(tmp_path / "n.db", clock) as db:
        cid = await _file(db)
        clock.now += timedelta(minutes=3)
        async with db.write() as tx:
            await tx.complaints.event(cid, "step_start", step=7)
        c = await db.reads.complaints.get(cid)
        events = await db.reads.complaints.timeline(cid)
        assert c is not None and c.created_at == T0
        assert events[0].at == T0 + timedelta(minutes=3) and events[0].step == 7


async def test_a_read_after_a_commit_sees_it_however_busy_the_read_side_is(
    tmp_path: Path,
) -> None:
    """Reads share one connection; none may answer from a snapshot older than a commit."""
    async with Database(tmp_path / "n.db") as db:
        stop = asyncio.Event()

        async def busy_reader() -> None:
            while not stop.is_set():
                await db.reads.outbox.due(T0 + timedelta(days=1))

        readers = [asyncio.create_task(busy_reader()) for _ in range(4)]
        try:
            for i in range(1, 151):
                async with db.write() as tx:
                    await tx.outbox.enqueue(i, "sendMessage", {"text": str(i)})
                assert await db.reads.outbox.pending_count() == i
        finally:
            stop.set()
            await asyncio.gather(*readers)


@pytest.mark.parametrize("local_hour", [0, 4, 6, 7, 12, 23])
async def test_todays_agenda_is_the_office_day_at_any_hour(tmp_path: Path, local_hour: int) -> None:
    """The agenda's "today" starts at 00:00 in the office's zone, whatever the UTC date.

    Between 00:00 and 07:00 WIB the UTC date is still yesterday's: a complaint filed
    then is today's, and one closed yesterday evening WIB is not.
    """
    from zoneinfo import ZoneInfo

    wib = ZoneInfo("Asia/Jakarta")
    today = datetime(2026, 12, 2, local_hour, 30, tzinfo=wib)
    start = today.replace(hour=0, minute=0, second=0)
    clock = FakeClock(T0)
    async with Database(tmp_path / "n.db", clock=clock) as db:
        clock.now = (start - timedelta(hours=2)).astimezone(UTC)  # yesterday 22:00 WIB
        yesterday = await _file(db)
        async with db.write() as tx:
            await tx.complaints.set_state(yesterday, State.AWAITING_DECISION, State.CLOSED)
        carried = await _file(db)  # filed yesterday, closed today
        clock.now = today.astimezone(UTC)
        todays = await _file(db)
        async with db.write() as tx:
            await tx.complaints.set_state(carried, State.AWAITING_DECISION, State.CLOSED)
            await tx.complaints.set_state(todays, State.AWAITING_DECISION, State.CLOSED)
        shown = {c.id for c in await db.reads.complaints.agenda(start)}
    assert shown == {carried, todays}


def test_stored_times_are_utc_text_whatever_zone_they_come_in() -> None:
    from zoneinfo import ZoneInfo

    from bot.storage.rows import iso

    local = datetime(2026, 12, 2, 0, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert iso(local) == "2026-12-01T17:00:00.000000+00:00"
    with pytest.raises(ValueError, match="naive"):
        iso(datetime(2026, 12, 2))
