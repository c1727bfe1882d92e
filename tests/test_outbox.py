"""The sender against the Bot API stand-in: order per chat, 429, 5xx, "not modified", 403."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.outbox import Outbox, error_text
from bot.store import Store
from checks import redact
from tests.botapi_stub import BotApiStub


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[BotApiStub, Store, Outbox, list]]:
    unreachable: list = []

    async def told(tx, chat_id, complaint_id) -> None:
        unreachable.append(chat_id)

    with BotApiStub() as stub:
        # What the bot's entry point does before it builds its Bot: the token never logged.
        redact.install([stub.token])
        redact.quiet_http_loggers()
        bot = Bot(stub.token, base_url=stub.base_url)
        async with Store(tmp_path / "n.db") as store, bot:
            yield stub, store, Outbox(store, bot, on_unreachable=told), unreachable


async def _queue(store: Store, chat: int, *texts: str) -> list[int]:
    async with store.write() as tx:
        return [await tx.enqueue(chat, "sendMessage", {"text": t, "parse_mode": "HTML"})
                for t in texts]


async def test_messages_arrive_in_order_despite_a_429_and_a_502(parts) -> None:
    stub, store, outbox, _ = parts
    stub.fail_next("sendMessage", 429, "Too Many Requests: retry after 1",
                   parameters={"retry_after": 1})
    stub.fail_next("sendMessage", 502, "Bad Gateway")
    await _queue(store, 10, "one", "two", "three")
    sender = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(20):  # the 429 alone holds the chat for 1 s
            while await store.outbox_pending_count():
                await asyncio.sleep(0.05)
    finally:
        outbox.stop()
        await asyncio.wait_for(sender, 5)
    assert stub.texts(10) == ["one", "two", "three"]
    assert [c.params["text"] for c in stub.calls_to("sendMessage")] == ["one", "one", "one",
                                                                         "two", "three"]
    assert await store.outbox_pending_count() == 0


async def test_not_modified_counts_as_delivered_and_edits_follow_their_message(parts) -> None:
    stub, store, outbox, _ = parts
    [first] = await _queue(store, 10, "hello")
    async with store.write() as tx:
        await tx.enqueue(10, "editMessageText", {"text": "hello", "parse_mode": "HTML"},
                         ref_outbox_id=first)
    await outbox.drain()
    await outbox.drain()
    assert stub.texts(10) == ["hello"]
    assert len(stub.calls_to("editMessageText")) == 1, "answered 'message is not modified'"
    assert await store.outbox_pending_count() == 0
    row = await store.outbox_row(first + 1)
    assert row is not None and row.state == "sent"


async def test_a_blocked_chat_is_given_up_at_once_and_reported(parts) -> None:
    stub, store, outbox, unreachable = parts
    stub.blocked.add(20)
    await _queue(store, 20, "a", "b", "c")
    await outbox.drain()
    assert len(stub.calls_to("sendMessage")) == 1
    assert unreachable == [20]
    assert await store.is_unreachable(20)
    assert await store.outbox_pending_count() == 0


def test_a_stored_error_never_keeps_the_token() -> None:
    url = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
    stored = error_text(NetworkError(f"httpx.ReadError: {url}"))
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in stored and "[REDACTED]" in stored
    assert error_text(NetworkError("")) == "NetworkError"
