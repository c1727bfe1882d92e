"""The sender against a faulty Bot API stand-in over real HTTP, with a real SQLite file.

Each fault is one Telegram really produces; what is checked is what the chats
end up holding, in which order, and what the store says about it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.delivery.pacer import Pacer, PacerLimits
from bot.delivery.queue import MessageQueue
from bot.delivery.sender import Sender, SenderOptions
from bot.storage import Database
from tests.support.botapi_stub import BotApiStub
from tests.support.delivery import ADB, delivery

# The client's timeout: an ordinary answer on a loaded 2-core machine comes well inside it
# (an unexpected timeout would be an extra, uncounted retry); late answers come after it.
TIMEOUT = 1.0
FAST = PacerLimits(
    per_chat_s=0.01, group_per_min=6000, group_burst=100, global_per_s=1000, global_burst=1000
)


@dataclass
class Parts:
    stub: BotApiStub
    db: Database
    bot: Bot
    path: Path
    queue: MessageQueue

    def outbox(self, **options: Any) -> Sender:
        opts: dict[str, Any] = {
            "limits": FAST,
            "backoff_base_s": 0.02,
            "backoff_max_s": 0.1,
            "request_timeout_s": TIMEOUT,
            "idle_poll_s": 0.2,
        }
        opts.update(options)
        return Sender(self.db, self.bot, self.queue, options=SenderOptions(**opts))


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    async with delivery(tmp_path / "n.db") as (stub, db, bot, queue):
        yield Parts(stub, db, bot, tmp_path / "n.db", queue)


async def _queue(db: Database, chat: int, *texts: str) -> list[int]:
    async with db.write() as tx:
        return [await tx.outbox.enqueue(chat, "sendMessage", {"text": t}) for t in texts]


async def _until_delivered(db: Database, timeout: float = 10.0) -> None:
    """Wait until nothing is pending (rows waiting on a backoff included)."""
    async with asyncio.timeout(timeout):
        while await db.reads.outbox.pending_count():
            await asyncio.sleep(0.02)


async def _deliver_all(outbox: Sender, db: Database, timeout: float = 20.0) -> None:
    """Run the sender until nothing is pending."""
    sender = asyncio.create_task(outbox.run())
    try:
        await _until_delivered(db, timeout)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)


def _texts_sent(stub: BotApiStub, chat: int) -> list[str]:
    return [c.params["text"] for c in stub.sent(chat)]


async def test_a_late_answer_may_duplicate_and_the_duplicate_is_counted(parts: Parts) -> None:
    """Telegram carried the send out but answered after the client gave up."""
    parts.stub.inject_faults(1.0, kinds=("late",), late_s=TIMEOUT * 3)
    await _queue(parts.db, 10, "one")
    outbox = parts.outbox()
    sender = asyncio.create_task(outbox.run())
    try:
        await asyncio.wait_for(_until(lambda: parts.stub.faults_of("late")), 5)
        parts.stub.stop_faults()
        await _until_delivered(parts.db)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)
    assert _texts_sent(parts.stub, 10) == ["one", "one"]
    assert parts.stub.duplicates() == 1
    assert await parts.db.reads.outbox.possible_duplicates() == 1


async def _until(pred: Any) -> Any:
    while not (value := pred()):
        await asyncio.sleep(0.01)
    return value


@pytest.mark.parametrize("kind", ["500", "502", "429", "reset", "hang"])
async def test_a_failed_send_is_retried_once_per_failure_and_arrives_once(
    parts: Parts, kind: str
) -> None:
    parts.stub.inject_faults(1.0, kinds=(kind,), retry_after=1, late_s=TIMEOUT * 2)
    [row_id] = await _queue(parts.db, 10, "hello")
    outbox = parts.outbox()
    sender = asyncio.create_task(outbox.run())
    try:
        await asyncio.wait_for(_until(lambda: len(parts.stub.injected) >= 2), 10)
        parts.stub.stop_faults()
        await _until_delivered(parts.db)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)
    calls = parts.stub.calls_to("sendMessage")
    failed = len(parts.stub.injected)
    assert len(calls) == failed + 1, "one retry per failure, nothing more"
    assert _texts_sent(parts.stub, 10) == ["hello"]
    row = await parts.db.reads.outbox.row(row_id)
    assert row is not None and row.state == "sent"
    # Telegram never saw these sends, but only a 5xx or a 429 *says* so: a reset or a
    # hang after the request was written may have arrived, and is counted as such.
    expect_ambiguous = failed if kind in ("reset", "hang") else 0
    assert row.ambiguous == expect_ambiguous
    assert row.failures == (0 if kind == "429" else failed)


async def test_a_429_holds_only_its_own_chat(parts: Parts) -> None:
    parts.stub.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1}
    )
    await _queue(parts.db, 10, "a1", "a2")
    await _queue(parts.db, 20, "b1", "b2", "b3")
    await _deliver_all(parts.outbox(), parts.db)
    assert _texts_sent(parts.stub, 10) == ["a1", "a2"]
    assert _texts_sent(parts.stub, 20) == ["b1", "b2", "b3"]
    sends = parts.stub.calls_to("sendMessage")
    first_a1 = sends[0].at
    retried_a1 = next(c.at for c in sends[1:] if c.params["text"] == "a1")
    assert retried_a1 - first_a1 >= 0.95, "retry_after was honoured"
    b_done = max(c.at for c in sends if c.params["chat_id"] == 20)
    assert b_done < retried_a1, "the other chat was not held up by the 429"


async def test_a_hanging_chat_does_not_hold_up_the_others(parts: Parts) -> None:
    # Chat 10's connection dies only after 2 s: time enough, however loaded the machine,
    # for chat 20 to be served first.
    parts.stub.inject_faults(1.0, kinds=("hang",), late_s=2.0)
    await _queue(parts.db, 10, "slow")
    outbox = parts.outbox(request_timeout_s=3.0)
    sender = asyncio.create_task(outbox.run())
    try:
        await asyncio.wait_for(_until(lambda: parts.stub.faults_of("hang")), 5)
        parts.stub.stop_faults()
        await _queue(parts.db, 20, "fast")
        parts.queue.wake()
        await asyncio.wait_for(_until(lambda: _texts_sent(parts.stub, 20)), 5)
        assert not _texts_sent(parts.stub, 10), "chat 20 went while chat 10 still waited"
        await _until_delivered(parts.db)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)
    assert _texts_sent(parts.stub, 10) == ["slow"]


async def test_not_modified_from_a_retried_edit_is_done(parts: Parts) -> None:
    [first] = await _queue(parts.db, 10, "draft")
    async with parts.db.write() as tx:
        edit = await tx.outbox.enqueue(
            10, "editMessageText", {"text": "final"}, ref_outbox_id=first
        )
    parts.stub.inject_faults(1.0, kinds=("not_modified",), methods=("editMessageText",))
    await _deliver_all(parts.outbox(), parts.db)
    assert [m["text"] for m in parts.stub.chat_messages(10)] == ["final"]
    assert len(parts.stub.calls_to("editMessageText")) == 1
    row = await parts.db.reads.outbox.row(edit)
    assert row is not None and row.state == "sent"


async def test_a_chat_that_blocks_the_bot_mid_queue_is_dropped_and_reported(
    parts: Parts,
) -> None:
    await _queue(parts.db, 10, "a")
    await _deliver_all(parts.outbox(), parts.db)
    parts.stub.inject_faults(1.0, kinds=("blocked",), blockable=frozenset({10}))
    await _queue(parts.db, 10, "b", "c")
    await _queue(parts.db, 20, "other")
    await _deliver_all(parts.outbox(), parts.db)
    assert _texts_sent(parts.stub, 10) == ["a"]
    chats = [c.params["chat_id"] for c in parts.stub.calls_to("sendMessage")]
    assert chats.count(10) == 2, "a sent, b tried once, c never"
    assert "Pesan tidak terkirim" in _texts_sent(parts.stub, ADB)[0], "the ADB is told, once"
    assert chats.count(ADB) == 1
    assert await parts.db.reads.outbox.is_unreachable(10)
    stats = await parts.db.reads.outbox.stats()
    assert stats["unreachable"] == 2 and stats["sent"] == 3  # "a", "other", the ADB notice


async def test_gives_up_after_max_failures(parts: Parts) -> None:
    parts.stub.inject_faults(1.0, kinds=("500",))
    [row_id] = await _queue(parts.db, 10, "doomed")
    await _deliver_all(parts.outbox(max_failures=3), parts.db)
    assert len(parts.stub.calls_to("sendMessage")) == 3
    row = await parts.db.reads.outbox.row(row_id)
    assert row is not None and row.state == "failed" and row.failures == 3


async def test_mixed_faults_every_message_arrives_in_order(parts: Parts) -> None:
    """20% of calls fail in every way at once; 6 chats incl. a group, 8 messages each."""
    parts.stub.inject_faults(
        0.2,
        seed=7,
        retry_after=1,
        late_s=TIMEOUT * 2,
        kinds=("429", "500", "502", "late", "hang", "reset"),
    )
    chats = [11, 12, 13, 14, 15, -100500]
    for chat in chats:
        await _queue(parts.db, chat, *(f"{chat}:{i}" for i in range(8)))
    await _deliver_all(parts.outbox(), parts.db, timeout=40)
    assert len(parts.stub.injected) >= 5, "the faults were injected"
    for chat in chats:
        seen = _texts_sent(parts.stub, chat)
        # order per chat: each message's first arrival follows the previous one's
        assert list(dict.fromkeys(seen)) == [f"{chat}:{i}" for i in range(8)]
    counted = await parts.db.reads.outbox.possible_duplicates()
    assert parts.stub.duplicates() <= counted
    assert parts.stub.duplicates() == len(parts.stub.faults_of("late"))


async def test_a_send_cut_short_by_a_crash_is_counted_after_restart(parts: Parts) -> None:
    """kill -9 between the request and the commit: the next process cannot know."""
    parts.stub.inject_faults(1.0, kinds=("hang",), late_s=2.0)
    [row_id] = await _queue(parts.db, 10, "maybe")
    outbox = parts.outbox(request_timeout_s=5.0)
    sender = asyncio.create_task(outbox.run())
    await asyncio.wait_for(_until(lambda: parts.stub.faults_of("hang")), 5)
    sender.cancel()  # what a crash leaves behind: the row marked in flight
    with pytest.raises(asyncio.CancelledError):
        await sender
    parts.stub.stop_faults()
    await parts.outbox().drain()
    row = await parts.db.reads.outbox.row(row_id)
    assert row is not None and row.state == "sent" and row.ambiguous == 1
    assert await parts.db.reads.outbox.possible_duplicates() == 1


async def test_pacing_one_chat_and_one_group(parts: Parts) -> None:
    """The stand-in's receive times: per chat spacing, and a group's per-minute budget."""
    limits = PacerLimits(
        per_chat_s=0.2, group_per_min=60 * 2, group_burst=2, global_per_s=1000, global_burst=1000
    )
    await _queue(parts.db, 10, *(f"p{i}" for i in range(10)))
    await _queue(parts.db, -100500, *(f"g{i}" for i in range(8)))
    await parts.outbox(limits=limits).drain()
    private = [c.at for c in parts.stub.sent(10)]
    group = [c.at for c in parts.stub.sent(-100500)]
    assert len(private) == 10 and len(group) == 8
    # The sender spaces its calls 0.2 s apart; the stand-in's receive times add the request's
    # own latency, which varies by some tens of milliseconds on a loaded 2-core machine.
    jitter = 0.05
    assert min(b - a for a, b in itertools.pairwise(private)) >= 0.2 - jitter
    # a group: the per-chat spacing, and in any stretch of time at most the burst (2)
    # plus 2 a second
    assert min(b - a for a, b in itertools.pairwise(group)) >= 0.2 - jitter
    for i, j in itertools.combinations(range(len(group)), 2):
        assert j - i + 1 <= 2 + 2 * (group[j] - group[i]) + 0.05


async def test_pacing_overall(parts: Parts) -> None:
    limits = PacerLimits(per_chat_s=0.01, global_per_s=10, global_burst=1)
    for chat in range(1, 9):
        await _queue(parts.db, chat, f"to {chat}")
    await parts.outbox(limits=limits).drain()
    times = sorted(c.at for c in parts.stub.calls_to("sendMessage"))
    assert len(times) == 8
    assert times[-1] - times[0] >= 7 * 0.1 - 0.02


def test_limiter_over_an_injected_clock() -> None:
    """Telegram's own limits over fake monotonic seconds: 1/s per chat, 20/min per group,
    30/s."""
    now = [1000.0]
    pacer = Pacer(PacerLimits(), ticks=lambda: now[0])

    class Answered:
        """Each booked send is answered at once, as the sender releases it."""

        @staticmethod
        def reserve(chat: int) -> float:
            wait = pacer.reserve(chat)
            if wait == 0:
                pacer.release(chat)
            return wait

    lim = Answered()
    assert lim.reserve(1) == 0
    assert lim.reserve(1) == pytest.approx(1.0)
    now[0] += 1
    assert lim.reserve(1) == 0
    now[0] += 1
    sent = []
    for second in range(120):  # two minutes to one group, asking every second
        if lim.reserve(-5) == 0:
            sent.append(second)
        now[0] += 1
    assert sent[:4] == [0, 3, 6, 9], "one every 3 s"
    assert len([s for s in sent if s >= 60]) == 20, "20 a minute"
    booked = []
    for tick in range(1000):  # a thousand chats asking over one second
        if lim.reserve(1000 + tick) == 0:
            booked.append(tick)
        now[0] += 0.001
    assert 30 <= len(booked) <= 31, "30 a second overall"


def test_pacing_counts_from_the_answer_not_the_booking() -> None:
    """Issue 20: a request held back in a busy loop arrives late; the next one to that
    chat, and the 31st overall, must wait for the answers, or Telegram sees them bunched."""
    now = [1000.0]
    lim = Pacer(PacerLimits(), ticks=lambda: now[0])
    assert lim.reserve(1) == 0
    now[0] += 0.9  # the first request is answered 0.9 s after it was booked
    lim.release(1)
    now[0] += 0.2  # 1.1 s after the booking, only 0.2 s after it reached Telegram
    assert lim.reserve(1) == pytest.approx(0.8), "a chat's interval runs from the answer"
    for chat in range(100, 130):  # 30 in flight, none answered yet
        assert lim.reserve(chat) == 0
        now[0] += 0.04
    assert lim.reserve(500) > 0, "no 31st send while 30 are unanswered"
    for chat in range(100, 130):
        lim.release(chat)
    now[0] += 0.5
    assert lim.reserve(500) > 0, "30 answered within the last second still count"
    now[0] += 0.6
    assert lim.reserve(500) == 0


async def test_a_burst_at_telegrams_real_limits_draws_no_429(parts: Parts) -> None:
    """Issue 20: 90 acknowledgements to 90 chats and 8 messages to one private chat, with
    the stand-in refusing what Telegram would: every one delivered and not one 429."""
    parts.stub.enforce_limits()
    for chat in range(1, 91):
        await _queue(parts.db, chat, f"ack {chat}")
    await _queue(parts.db, 500, *(f"note {i}" for i in range(8)))
    await parts.outbox(limits=PacerLimits()).drain()
    assert sum(parts.stub.limited.values()) == 0, "a limit was passed"
    assert len([c for c in parts.stub.calls_to("sendMessage") if c.carried_out]) == 98


def test_a_storms_chats_are_forgotten_once_idle_but_a_held_one_keeps_its_wait() -> None:
    """One bucket per chat ever sent to would grow with every reporter; a bucket that
    is full again is forgotten, but a chat Telegram told to wait still waits."""
    from bot.delivery.pacer import FORGET_AT

    now = [0.0]
    pacer = Pacer(PacerLimits(), ticks=lambda: now[0])
    pacer.reserve(-100)
    pacer.release(-100)
    pacer.hold(-100, 600.0)  # a 429 with retry_after 600 s in a group
    for chat in range(1, 3 * FORGET_AT):
        now[0] += 0.05
        assert pacer.reserve(chat) == 0.0
        pacer.release(chat)
    assert len(pacer._chats) <= 2 * FORGET_AT  # bounded, not one per chat ever
    assert now[0] < 600 and pacer.reserve(-100) > 0, "the held group still waits"
