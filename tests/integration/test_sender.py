"""The sender's choices (issue 9): what costs a flood token, folding, priorities, waiting.

Real SQLite file, the real PTB ``Bot`` over HTTP against the Bot API stand-in.
Where timing matters the sender runs on a frozen clock with Telegram's real
limits: a row that cost a token would make the next send wait for a clock that
never moves, so finishing at all is the proof (bounded by a timeout, never
by measuring wall time).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot

from bot.delivery.pacer import Pacer, PacerLimits
from bot.delivery.queue import BACKGROUND, NORMAL, URGENT, MessageQueue
from bot.delivery.sender import Sender, SenderOptions
from bot.storage import Database, OutboxRow
from tests.support.botapi_stub import BotApiStub, StubLimits
from tests.support.clock import FakeClock
from tests.support.delivery import ADB, delivery

CHAT = 10
FAST = PacerLimits(
    per_chat_s=0.01, group_per_min=6000, group_burst=100, global_per_s=1000, global_burst=1000
)
BUTTONS = {"inline_keyboard": [[{"text": "Ya", "callback_data": "dec 1 ya"}]]}


@dataclass
class Parts:
    stub: BotApiStub
    db: Database
    bot: Bot
    queue: MessageQueue

    def sender(self, *, clock: Any = None, limits: PacerLimits = FAST) -> Sender:
        opts = SenderOptions(
            limits=limits,
            backoff_base_s=0.02,
            backoff_max_s=0.1,
            request_timeout_s=5.0,
            idle_poll_s=0.2,
        )
        if clock is None:
            return Sender(self.db, self.bot, self.queue, options=opts)
        sender = Sender(self.db, self.bot, self.queue, clock=clock, options=opts)
        sender.limiter.ticks = lambda: 1000.0  # the pacer's monotonic seconds stand still too
        return sender

    async def row(self, row_id: int) -> OutboxRow:
        row = await self.db.reads.outbox.row(row_id)
        assert row is not None
        return row

    def calls(self, chat: int) -> list[tuple[str, str | None]]:
        """(method, text) of every call the stand-in carried out for a chat, in order."""
        return [
            (c.method, c.params.get("text"))
            for c in self.stub.calls
            if c.carried_out and c.params.get("chat_id") == chat
        ]


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    async with delivery(tmp_path / "n.db") as (stub, db, bot, queue):
        yield Parts(stub, db, bot, queue)


async def _send(db: Database, chat: int, text: str, priority: int = NORMAL) -> int:
    async with db.write() as tx:
        return await tx.outbox.enqueue(chat, "sendMessage", {"text": text}, priority=priority)


async def _edit(db: Database, chat: int, ref: int, text: str, priority: int = NORMAL) -> int:
    async with db.write() as tx:
        return await tx.outbox.enqueue(
            chat, "editMessageText", {"text": text}, ref_outbox_id=ref, priority=priority
        )


async def _drain(sender: Sender, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        await sender.drain()


async def _deliver_all(sender: Sender, db: Database, timeout: float = 60.0) -> None:
    """Run the sender until nothing is pending (rows waiting on a retry_after included)."""
    task = asyncio.create_task(sender.run())
    try:
        async with asyncio.timeout(timeout):
            while await db.reads.outbox.pending_count():
                await asyncio.sleep(0.02)
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)


# --- 1. a row that will not be sent costs no flood token -------------------------------------


async def test_rows_that_will_not_be_sent_cost_no_token(parts: Parts) -> None:
    """Edits of a failed message, superseded edits and an unreachable chat's rows, then a
    send: on a frozen clock with Telegram's 1/s per chat, the send goes at once."""
    clock = FakeClock(datetime.now(UTC))
    sender = parts.sender(clock=clock, limits=PacerLimits())
    failed = await _send(parts.db, CHAT, "lost")
    async with parts.db.write() as tx:
        await tx.outbox.gave_up(failed, "500", ambiguous=False)
        await tx.outbox.mark_unreachable(20, "blocked")
    edits = [await _edit(parts.db, CHAT, failed, f"v{i}") for i in range(6)]
    gone = await _send(parts.db, 20, "to a chat that blocked the bot")
    after = await _send(parts.db, CHAT, "the send after them")

    await _drain(sender)  # would never end if any of the seven rows had booked a token

    assert parts.calls(CHAT) == [("sendMessage", "the send after them")]
    assert [(await parts.row(e)).state for e in edits] == ["superseded"] * 5 + ["skipped"]
    assert (await parts.row(gone)).state == "unreachable"
    assert (await parts.row(after)).state == "sent"
    assert sender.limiter.reserve(CHAT) == pytest.approx(1.0), "exactly one token booked"
    assert not parts.stub.calls_to("editMessageText")


async def test_superseded_edits_of_a_sent_message_cost_no_token(parts: Parts) -> None:
    """Five edits of one sent message: one editMessageText, one token, no waiting."""
    clock = FakeClock(datetime.now(UTC))
    first = await _send(parts.db, CHAT, "draft")
    await _drain(parts.sender())
    sender = parts.sender(clock=clock, limits=PacerLimits())
    edits = [await _edit(parts.db, CHAT, first, f"step {i}") for i in range(5)]

    await _drain(sender)

    assert [c for c in parts.calls(CHAT) if c[0] != "sendMessage"] == [
        ("editMessageText", "step 4")
    ]
    assert [(await parts.row(e)).state for e in edits] == ["superseded"] * 4 + ["sent"]
    assert sender.limiter.reserve(CHAT) == pytest.approx(1.0), "exactly one token booked"


# --- 2. an edit folds into its still-pending send ---------------------------------------------


async def test_an_edit_folds_into_its_pending_send(parts: Parts) -> None:
    async with parts.db.write() as tx:
        [row_id] = await parts.queue.send(tx, CHAT, "checking 0/5")
        row = await tx.outbox.row(row_id)
        assert row is not None
        for i in range(1, 5):
            assert await parts.queue.edit(tx, row, f"checking {i}/5") == row_id
        assert await parts.queue.edit(tx, row, "done", BUTTONS, priority=URGENT) == row_id
    await _drain(parts.sender())
    assert parts.calls(CHAT) == [("sendMessage", "done")]
    [msg] = parts.stub.chat_messages(CHAT)
    assert parts.stub.buttons(msg) == {"Ya": "dec 1 ya"}
    sent = await parts.row(row_id)
    assert sent.state == "sent" and sent.priority == URGENT, "the more urgent priority kept"
    assert await parts.db.reads.outbox.stats() == {
        "sent": 1,
        "attempts": 1,
        "failures": 0,
        "ambiguous": 0,
    }


async def test_an_edit_after_begin_is_queued_not_folded(parts: Parts) -> None:
    """Once ``begin`` has read the payload, a fold is refused and an edit is queued."""
    async with parts.db.write() as tx:
        [row_id] = await parts.queue.send(tx, CHAT, "first")
        row = await tx.outbox.row(row_id)
        assert row is not None
        await parts.queue.edit(tx, row, "folded")
    async with parts.db.write() as tx:
        payload = await tx.outbox.begin(row_id)
    assert payload is not None and payload["text"] == "folded", "begin returns the fold"
    async with parts.db.write() as tx:
        edit_id = await parts.queue.edit(tx, row, "after begin")
    assert edit_id != row_id
    edit = await parts.row(edit_id)
    assert edit.method == "editMessageText" and edit.ref_outbox_id == row_id


async def test_folds_racing_the_sender_never_lose_the_latest_text(parts: Parts) -> None:
    """Messages edited while the sender runs: each ends in its last text, whether the
    edits were folded into the send or sent after it."""
    sender = parts.sender()
    task = asyncio.create_task(sender.run())
    chats = list(range(100, 120))
    try:
        rows: dict[int, OutboxRow] = {}
        for chat in chats:
            async with parts.db.write() as tx:
                [rid] = await parts.queue.send(tx, chat, f"{chat} v0")
                got = await tx.outbox.row(rid)
                assert got is not None
                rows[chat] = got
            parts.queue.wake()
        for version in range(1, 6):
            for chat in chats:
                async with parts.db.write() as tx:
                    await parts.queue.edit(tx, rows[chat], f"{chat} v{version}")
                parts.queue.wake()
                await asyncio.sleep(0)
        async with asyncio.timeout(30):
            while await parts.db.reads.outbox.pending_count():
                await asyncio.sleep(0.02)
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)
    for chat in chats:
        assert parts.stub.texts(chat) == [f"{chat} v5"]
    sends = parts.stub.calls_to("sendMessage")
    assert len(sends) == len(chats), "one sendMessage per message, folded or not"


# --- 3. priorities ----------------------------------------------------------------------------


async def test_an_urgent_row_overtakes_queued_background_edits(parts: Parts) -> None:
    sent = [await _send(parts.db, CHAT, f"diagnosis {i}") for i in range(4)]
    await _drain(parts.sender())
    for i, ref in enumerate(sent):
        await _edit(parts.db, CHAT, ref, f"diagnosis {i}: step 2", priority=BACKGROUND)
    await _send(parts.db, CHAT, "normal notice", priority=NORMAL)
    await _send(parts.db, CHAT, "prompt", priority=URGENT)
    await _send(parts.db, CHAT, "second prompt", priority=URGENT)
    await _drain(parts.sender())
    assert parts.calls(CHAT)[4:] == [
        ("sendMessage", "prompt"),
        ("sendMessage", "second prompt"),
        ("sendMessage", "normal notice"),
        *[("editMessageText", f"diagnosis {i}: step 2") for i in range(4)],
    ]


async def test_an_edit_waits_for_its_pending_send_and_is_not_skipped(parts: Parts) -> None:
    """An urgent edit of a background send that has not gone yet: the send goes first."""
    other = await _send(parts.db, CHAT, "earlier", priority=BACKGROUND)
    ref = await _send(parts.db, CHAT, "prompt", priority=BACKGROUND)
    edit = await _edit(parts.db, CHAT, ref, "prompt with buttons", priority=URGENT)
    await _drain(parts.sender())
    assert parts.calls(CHAT) == [
        ("sendMessage", "earlier"),
        ("sendMessage", "prompt"),
        ("editMessageText", "prompt with buttons"),
    ]
    assert (await parts.row(edit)).state == "sent"
    assert (await parts.row(other)).state == "sent"
    assert parts.stub.texts(CHAT) == ["earlier", "prompt with buttons"]


async def test_sent_for_incident(parts: Parts) -> None:
    async with parts.db.write() as tx:
        ids = await parts.queue.send(
            tx, ADB, "prompt", purpose="prompt", incident_id=7, priority=URGENT
        )
        await parts.queue.send(tx, ADB, "other", purpose="prompt", incident_id=8)
        row = await tx.outbox.row(ids[0])
        assert row is not None
    rows = await parts.db.reads.outbox.sent_for_incident(7, "prompt")
    assert [r.id for r in rows] == ids
    assert rows[0].incident_id == 7 and rows[0].priority == URGENT
    await _drain(parts.sender())
    async with parts.db.write() as tx:
        edit_id = await parts.queue.drop_buttons(tx, await parts.row(ids[0]))
    assert (await parts.row(edit_id)).incident_id == 7, "an edit keeps its message's incident"


async def test_buttons_go_once_and_a_message_not_sent_yet_goes_without_them(
    parts: Parts,
) -> None:
    """Issue 18: ``drop_buttons_of`` asked twice costs one editMessageReplyMarkup for the
    message Telegram shows, and none for a send still queued (it loses its buttons)."""
    async with parts.db.write() as tx:
        await parts.queue.send(tx, CHAT, "first list", markup=BUTTONS, purpose="l", incident_id=7)
    await _drain(parts.sender())
    async with parts.db.write() as tx:
        await parts.queue.send(tx, CHAT, "second list", markup=BUTTONS, purpose="l", incident_id=7)
        await parts.queue.send(tx, CHAT, "another's", markup=BUTTONS, purpose="l", incident_id=8)
        await parts.queue.drop_buttons_of(tx, 7, "l")
    await _drain(parts.sender())
    async with parts.db.write() as tx:
        await parts.queue.drop_buttons_of(tx, 7, "l")  # again, as a later step would
    await _drain(parts.sender())
    shown = {m["text"]: parts.stub.buttons(m) for m in parts.stub.chat_messages(CHAT)}
    assert shown == {"first list": {}, "second list": {}, "another's": {"Ya": "dec 1 ya"}}
    assert len(parts.stub.calls_to("editMessageReplyMarkup")) == 1
    sent = {c.params["text"]: c.params.get("reply_markup") for c in parts.stub.sent(CHAT)}
    assert sent["second list"] is None, "folded: sent without the buttons"


# --- 5. the stand-in's flood limits -----------------------------------------------------------


def test_the_stand_in_refuses_a_burst_like_telegram() -> None:
    with BotApiStub(enforce_limits=True) as stub:
        url = f"{stub.base_url}{stub.token}/sendMessage"
        answers = [httpx.post(url, json={"chat_id": CHAT, "text": f"m{i}"}) for i in range(4)]
        group = [httpx.post(url, json={"chat_id": -5, "text": "g"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429, 429, 429]
    refused = answers[1].json()
    assert refused["error_code"] == 429 and refused["parameters"]["retry_after"] >= 1
    assert [g.status_code for g in group] == [200, 429]
    assert stub.limited == {CHAT: 3, -5: 1}


def test_the_stand_in_counts_a_group_per_minute() -> None:
    limits = StubLimits(per_chat_s=0.0, group_per_min=3, global_per_s=1000, slack_s=0.0)
    with BotApiStub(enforce_limits=limits) as stub:
        url = f"{stub.base_url}{stub.token}/sendMessage"
        codes = [httpx.post(url, json={"chat_id": -5, "text": "g"}).status_code for _ in range(5)]
        other = httpx.post(url, json={"chat_id": -6, "text": "g"}).status_code
    assert codes == [200, 200, 200, 429, 429] and other == 200


async def test_a_sender_faster_than_telegram_still_delivers_everything_in_order(
    parts: Parts,
) -> None:
    """The sender paced at 4/s per chat against a stand-in that allows 1/s: it is refused
    and told to wait, holds the chat, and every message arrives once and in order."""
    parts.stub.enforce_limits()
    for chat in (11, 12, -100500):
        for i in range(3):
            await _send(parts.db, chat, f"{chat}:{i}")
    greedy = PacerLimits(
        per_chat_s=0.25, group_per_min=600, group_burst=10, global_per_s=100, global_burst=10
    )
    await _deliver_all(parts.sender(limits=greedy), parts.db)
    assert sum(parts.stub.limited.values()) > 0, "the stand-in refused some calls"
    for chat in (11, 12, -100500):
        assert [c.params["text"] for c in parts.stub.sent(chat)] == [
            f"{chat}:{i}" for i in range(3)
        ]
    stats = await parts.db.reads.outbox.stats()
    assert stats["sent"] == 9 and set(stats) == {"sent", "attempts", "failures", "ambiguous"}
    assert parts.stub.duplicates() == 0


def test_a_429_holds_the_whole_chat_in_the_limiter() -> None:
    lim = Pacer(PacerLimits(), ticks=lambda: 1000.0)  # time stands still
    lim.hold(CHAT, 5.0)
    assert lim.reserve(CHAT) == pytest.approx(5.0)
    assert lim.reserve(CHAT + 1) == 0, "other chats are not held"


async def test_a_groups_backlog_at_telegrams_pace_holds_no_private_chat_up(
    parts: Parts,
) -> None:
    """Issue 19: the JF ADB's own /agenda must not wait behind the answers queued for a
    group at 20 a minute. Telegram's real limits; the private row is queued last."""
    group, private = -100200, 9100
    for i in range(200):
        await _send(parts.db, group, f"bantuan {i}")
    await _send(parts.db, private, "agenda")
    sender = parts.sender(limits=PacerLimits())
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(_until_sent(parts.stub, private), 10)
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)
    first = parts.stub.calls.index(parts.stub.sent(private)[0])
    ahead = [c for c in parts.stub.calls[:first] if c.params.get("chat_id") == group]
    assert len(ahead) <= 1, f"{len(ahead)} group messages went first"
    assert await parts.db.reads.outbox.pending_count() >= 190, "the group is paced, not flooded"


async def _until_sent(stub: BotApiStub, chat: int) -> None:
    while not stub.sent(chat):
        await asyncio.sleep(0.02)
