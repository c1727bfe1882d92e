"""The whole SOP while a fifth of the Bot API calls fail (429, 5xx, late answers, hangs,
resets, "not modified", a reporter who blocks the bot): nothing is lost, nothing
is reordered, and the only duplicates are the ones the store counted as possible."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.delivery.pacer import PacerLimits
from bot.delivery.sender import SenderOptions
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from tests.support.botapi_stub import OUTBOX_METHODS, BotApiStub
from tests.support.e2e import Bot, rows, running, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT

TIMEOUT = 0.4  # the sender's request timeout; late answers and hangs outlast it
OUTBOX = SenderOptions(
    limits=PacerLimits(per_chat_s=0.05, group_per_min=1200, group_burst=5),
    backoff_base_s=0.05,
    backoff_max_s=0.5,
    request_timeout_s=TIMEOUT,
    idle_poll_s=0.5,
)
USERS = [7101, 7102, 7103, 7104]
BLOCKER = 7104  # this reporter may turn out to have blocked the bot


@pytest.fixture
async def faulty_bot(settings: Settings, config: OfficeConfig) -> AsyncIterator[Bot]:
    """The real bot (``run_bot``) with a short request timeout and backoff for the sender."""
    async with running(Bot(settings, config, sender_options=OUTBOX)) as b:
        yield b


async def test_the_sop_survives_a_fifth_of_calls_failing(
    stub: BotApiStub, settings: Settings, faulty_bot: Bot
) -> None:
    stub.inject_faults(
        0.2,
        seed=5,
        retry_after=1,
        late_s=TIMEOUT * 2,
        methods=(*OUTBOX_METHODS, "answerCallbackQuery"),
        blockable=frozenset({BLOCKER}),
    )
    adb, jf = stub.user(ADB_ID, "Andi ADB"), stub.user(9100, "Joko JF")
    for n, uid in enumerate(USERS, 1):
        stub.send_text(
            stub.user(uid, f"Pelapor {n}"), f"/lapor gangguan nomor {n} di loket Kantor Dinas"
        )
    tags = " ".join(f"#K{n}" for n in range(1, len(USERS) + 1))

    # One outage: both ADBs get its finished diagnosis, listing every complaint, with buttons.
    prompt = await wait_decision(stub, "#I1", everything=tags)
    await wait_decision(stub, "#I1", everything=tags, chat=ADB2_ID)

    # Tidak: one report to the JF ADB group; the repair; the checks again; Ya: the Kabid.
    stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["❌ Tidak"])
    report = await until(
        lambda: [
            m
            for m in stub.chat_messages(JF_CHAT)
            if "Melaporkan ke JF ADB" in m["text"] and tags in m["text"] and stub.buttons(m)
        ],
        20,
        "the JF ADB report",
    )
    stub.press(jf, JF_CHAT, report[0]["message_id"], stub.buttons(report[0])["🔧 Sudah diperbaiki"])
    again = await wait_decision(stub, "#I1", round_=2, everything=tags)
    stub.press(adb, ADB_ID, again["message_id"], stub.buttons(again)["✅ Ya"])
    await until(
        lambda: [
            m
            for m in stub.chat_messages(KABID_CHAT)
            if "Melaporkan ke Kabid" in m["text"] and tags in m["text"]
        ],
        20,
        "the Kabid report",
    )

    db = settings.netmaint_db
    await until(
        lambda: not rows(db, "SELECT 1 FROM outbox WHERE state='pending'"),
        20,
        "the outbox to empty",
    )
    stub.stop_faults()

    kinds = {f.kind for f in stub.injected}
    assert len(stub.injected) >= 5 and len(kinds) >= 3, stub.injected

    # Nothing failed for good; a reporter who blocked the bot is the only one unreachable.
    states = dict(rows(db, "SELECT state, COUNT(*) FROM outbox GROUP BY state"))
    assert "failed" not in states and "pending" not in states, states
    unreachable = [
        c for (c,) in rows(db, "SELECT chat_id FROM chats WHERE unreachable_at IS NOT NULL")
    ]
    assert unreachable in ([], [BLOCKER])
    if unreachable:
        assert stub.find(ADB_ID, "Pesan tidak terkirim"), "the ADB was told"

    # Order per chat and priority: what each chat saw first-arrive is the order the rows
    # were queued (an urgent prompt or report may overtake an ordinary notice, by design).
    sent = rows(
        db,
        "SELECT chat_id, priority, payload FROM outbox"
        " WHERE method='sendMessage' AND state='sent' ORDER BY id",
    )
    for chat, priority in {(c, p) for c, p, _ in sent}:
        queued = [json.loads(p)["text"] for c, pr, p in sent if (c, pr) == (chat, priority)]
        arrived = [
            t for t in dict.fromkeys(c.params["text"] for c in stub.sent(chat)) if t in queued
        ]
        assert arrived == queued, f"chat {chat}, priority {priority}"

    # Duplicates only where a send may have arrived although no answer came back.
    [(counted,)] = rows(
        db,
        "SELECT COALESCE(SUM(ambiguous), 0) FROM outbox"
        " WHERE method='sendMessage' AND state='sent'",
    )
    print(
        f"\nfaults injected: {len(stub.injected)} "
        f"({', '.join(sorted(kinds))}); duplicates seen: {stub.duplicates()}, "
        f"counted as possible: {counted}"
    )
    assert stub.duplicates() <= counted
