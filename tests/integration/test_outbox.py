"""The sender against the Bot API stand-in: order per chat, 429, 5xx, "not modified", 403."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.delivery.sender import Sender, error_text
from bot.storage import Database
from tests.support.botapi_stub import BotApiStub
from tests.support.delivery import ADB, delivery


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[BotApiStub, Database, Sender]]:
    async with delivery(tmp_path / "n.db") as (stub, db, bot, queue):
        yield stub, db, Sender(db, bot, queue)


async def _queue(db: Database, chat: int, *texts: str) -> list[int]:
    async with db.write() as tx:
        return [
            await tx.outbox.enqueue(chat, "sendMessage", {"text": t, "parse_mode": "HTML"})
            for t in texts
        ]


async def test_messages_arrive_in_order_despite_a_429_and_a_502(parts) -> None:
    stub, db, outbox = parts
    stub.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1}
    )
    stub.fail_next("sendMessage", 502, "Bad Gateway")
    await _queue(db, 10, "one", "two", "three")
    sender = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(20):  # the 429 alone holds the chat for 1 s
            while await db.reads.outbox.pending_count():
                await asyncio.sleep(0.05)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)
    assert stub.texts(10) == ["one", "two", "three"]
    assert [c.params["text"] for c in stub.calls_to("sendMessage")] == [
        "one",
        "one",
        "one",
        "two",
        "three",
    ]
    assert await db.reads.outbox.pending_count() == 0


async def test_not_modified_counts_as_delivered_and_edits_follow_their_message(parts) -> None:
    stub, db, outbox = parts
    [first] = await _queue(db, 10, "hello")
    async with db.write() as tx:
        await tx.outbox.enqueue(
            10, "editMessageText", {"text": "hello", "parse_mode": "HTML"}, ref_outbox_id=first
        )
    await outbox.drain()
    await outbox.drain()
    assert stub.texts(10) == ["hello"]
    assert len(stub.calls_to("editMessageText")) == 1, "answered 'message is not modified'"
    assert await db.reads.outbox.pending_count() == 0
    row = await db.reads.outbox.row(first + 1)
    assert row is not None and row.state == "sent"


async def test_a_blocked_chat_is_given_up_at_once_and_reported(parts) -> None:
    stub, db, outbox = parts
    stub.blocked.add(20)
    await _queue(db, 20, "a", "b", "c")
    await outbox.drain()
    assert [c.params["chat_id"] for c in stub.calls_to("sendMessage")] == [20, ADB]
    assert "Pesan tidak terkirim" in stub.texts(ADB)[0], "the ADB is told, once"
    assert await db.reads.outbox.is_unreachable(20)
    assert await db.reads.outbox.pending_count() == 0


def test_a_stored_error_never_keeps_the_token() -> None:
    url = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
    stored = error_text(NetworkError(f"httpx.ReadError: {url}"))
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in stored and "[REDACTED]" in stored
    assert error_text(NetworkError("")) == "NetworkError"
