"""The SQLite store: durable settings, one winner per state change, atomic transactions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.sop import State
from bot.store import Actor, Store

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _file(store: Store, update_id: int | None = None) -> int | None:
    async with store.write() as tx:
        return await tx.add_complaint(
            state=State.AWAITING_DECISION, reporter=Actor(7, "Rina"), reporter_chat_id=7,
            channel="chat", site=None, text="internet mati", source_update_id=update_id,
        )


async def test_schema_pragmas_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "n.db"
    async with Store(path) as store:
        cid = await _file(store)
        mode = await (await store.db.execute("PRAGMA journal_mode")).fetchone()
        sync = await (await store.db.execute("PRAGMA synchronous")).fetchone()
        version = await (await store.db.execute("PRAGMA user_version")).fetchone()
        latest = max(int(f.name.split("_", 1)[0])
                     for f in Path("bot/migrations").glob("*.sql"))
        assert (mode[0], sync[0], version[0]) == ("wal", 2, latest)  # 2 = FULL
    async with Store(path) as store:  # migrations are not applied twice; data is kept
        c = await store.complaint(cid)
        assert c is not None and c.text == "internet mati" and c.tag == f"#K{cid}"


async def test_a_state_changes_once_however_many_press_at_once(tmp_path: Path) -> None:
    async with Store(tmp_path / "n.db") as store:
        cid = await _file(store)

        async def press(new: State) -> bool:
            async with store.write() as tx:
                return await tx.set_state(cid, State.AWAITING_DECISION, new)

        results = await asyncio.gather(*(press(s) for s in [State.CLOSED, State.ESCALATED] * 10))
        assert results.count(True) == 1
        c = await store.complaint(cid)
        assert c is not None and c.state in (State.CLOSED, State.ESCALATED)


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with Store(tmp_path / "n.db") as store:
        cid = await _file(store)
        with pytest.raises(RuntimeError):
            async with store.write() as tx:
                await tx.set_state(cid, State.AWAITING_DECISION, State.CLOSED)
                await tx.event(cid, "decision", action="ya")
                await tx.enqueue(-1, "sendMessage", {"text": "x"}, complaint_id=cid)
                raise RuntimeError("crash between the writes")
        c = await store.complaint(cid)
        assert c is not None and c.state is State.AWAITING_DECISION
        assert await store.timeline(cid) == []
        assert await store.outbox_pending_count() == 0


async def test_an_update_files_one_complaint_and_is_stored_once(tmp_path: Path) -> None:
    async with Store(tmp_path / "n.db") as store:
        assert await _file(store, update_id=10) is not None
        assert await _file(store, update_id=10) is None
        async with store.write() as tx:
            assert await tx.inbox_add(10, "{}") is True
            assert await tx.inbox_add(10, "{}") is False
        assert await store.inbox_unhandled() == [(10, "{}")]
        async with store.write() as tx:
            await tx.inbox_done(10)
        assert await store.inbox_unhandled() == []
        assert await store.inbox_next_offset() == 11


async def test_outbox_serves_each_chat_in_order_and_waits_for_not_before(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Store(tmp_path / "n.db", clock) as store:
        async with store.write() as tx:
            a1 = await tx.enqueue(1, "sendMessage", {"text": "a1"})
            a2 = await tx.enqueue(1, "sendMessage", {"text": "a2"})
            b1 = await tx.enqueue(2, "sendMessage", {"text": "b1"})
        assert [r.id for r in await store.outbox_due(clock())] == [a1, b1]
        async with store.write() as tx:
            await tx.outbox_retry(a1, clock() + timedelta(seconds=30), "429")
            await tx.outbox_done(b1, "sent", message_id=5)
        assert [r.id for r in await store.outbox_due(clock())] == [], "a2 waits behind a1"
        clock.now += timedelta(seconds=31)
        assert [r.id for r in await store.outbox_due(clock())] == [a1]
        row = await store.outbox_row(b1)
        assert row is not None and row.message_id == 5 and row.state == "sent"
        async with store.write() as tx:
            await tx.outbox_done(a1, "sent", message_id=6)
        assert [r.id for r in await store.outbox_due(clock())] == [a2], "a2 follows a1"


async def test_times_come_from_the_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Store(tmp_path / "n.db", clock) as store:
        cid = await _file(store)
        clock.now += timedelta(minutes=3)
        async with store.write() as tx:
            await tx.event(cid, "step_start", step=7)
        c = await store.complaint(cid)
        events = await store.timeline(cid)
        assert c is not None and c.created_at == T0
        assert events[0].at == T0 + timedelta(minutes=3) and events[0].step == 7
