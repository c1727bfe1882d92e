"""An outage too large for one message (issue 20): every #K tag stays searchable.

A thousand complaints about one site make one incident. Its prompt says how many
there are and lists the tags that fit; the rest follow in continuation messages,
as few as Telegram's 4096 characters allow, each edited in place as complaints
join. The real bot over HTTP against the stand-in, which refuses a message over
4096 characters as Telegram does.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, settled, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID

TAG = re.compile(r"#K(\d+)\b")
N = 1000
FIRST_USER = 710_000
CONTINUATION = "Daftar keluhan gangguan #I1"


def _file(stub: BotApiStub, n: int) -> None:
    stub.send_text(
        stub.user(FIRST_USER + n, f"Pelapor {n}"), f"/lapor internet loket {n} Kantor Dinas mati"
    )


def _holding(stub: BotApiStub, chat: int) -> Counter[int]:
    """Each complaint number: in how many of the chat's messages it appears (now)."""
    seen: Counter[int] = Counter()
    for m in stub.chat_messages(chat):
        seen.update({int(t) for t in TAG.findall(m["text"])})
    return seen


def _continuations(stub: BotApiStub, chat: int) -> list[dict[str, Any]]:
    return [m for m in stub.chat_messages(chat) if CONTINUATION in m["text"]]


async def test_a_thousand_complaints_every_tag_in_exactly_one_adb_message(
    stub: BotApiStub, bot: Bot
) -> None:
    for n in range(N):
        _file(stub, n)
    prompt = await until(
        lambda: stub.find(ADB_ID, f"{N} keluhan"), 240, "the prompt counting every complaint"
    )
    await settled(bot.settings.netmaint_db, 240)
    prompt = await wait_decision(stub, "#I1", everything=f"{N} keluhan")
    assert "nomor lain di pesan lanjutan" in prompt["text"]
    for chat in (ADB_ID, ADB2_ID):
        assert _holding(stub, chat) == Counter({k: 1 for k in range(1, N + 1)}), (
            "every tag in exactly one ADB message"
        )
        pages = _continuations(stub, chat)
        assert pages and all(len(p["html"]) <= 4096 for p in pages)
        for page, after in itertools.pairwise(pages):  # as few as the limit allows
            first = TAG.search(after["text"])
            assert first is not None
            assert len(page["html"]) + 1 + len(first.group(0)) > 4096, "could have held more"

    before = len(stub.calls)
    last = _continuations(stub, ADB_ID)[-1]
    earlier = {p["message_id"] for p in _continuations(stub, ADB_ID)[:-1]}
    _file(stub, N)  # one more reporter: #K1001 joins the incident
    await until(lambda: f"#K{N + 1}" in last_text(stub, last), 30, "the join listed")
    await settled(bot.settings.netmaint_db)
    calls = [c for c in stub.calls[before:] if c.params.get("chat_id") == ADB_ID]
    edited = {c.params.get("message_id") for c in calls if c.method == "editMessageText"}
    assert last["message_id"] in edited, "the last continuation is edited in place"
    assert not edited & earlier, "full continuations are left as they are"
    assert not [c for c in calls if c.method == "sendMessage" and CONTINUATION in str(c.params)]
    assert _holding(stub, ADB_ID) == Counter({k: 1 for k in range(1, N + 2)})


def last_text(stub: BotApiStub, message: dict[str, Any]) -> str:
    return str(stub.messages[(ADB_ID, message["message_id"])]["text"])
