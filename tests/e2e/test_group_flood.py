"""Floods the gate lets go by cost no one else: not the JF ADB's answers, not the disk.

Issue 19: two hundred /bantuan in the JF ADB group were two hundred answers, and at
Telegram's 20 a minute in a group the JF ADB's own /agenda waited behind them for ten
minutes; ignored flood messages of 4,000 characters were kept whole in the inbox for
``inbox_days``. Real bot, the stand-in over real HTTP, a real SQLite file; the guard's
minutes run on ticks the test moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.telegram.inbox import PREFIX
from bot.telegram.runtime import run_bot
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import FAST_OUTBOX, db_row, rows, settled, until
from tests.support.office import JF_CHAT, USER_ID

JF_PERSON = 9100
MEMBERS = 50  # each asks four times: under the per-user limit, so only the collapse cuts
HELP = "Bantuan"
LIMIT = 5
BOUND = 600  # characters an ignored update may keep in the inbox (ids, names, a prefix)


class Ticks:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def bot(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> AsyncIterator[tuple[Settings, Ticks]]:
    settings = settings.model_copy(update={"jf_adb_user_ids": (JF_PERSON,)})
    limited = config.model_copy(
        update={"limits": config.limits.model_copy(update={"updates_per_minute": LIMIT})}
    )
    ticks, stop, ready = Ticks(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(settings, limited, stop, ready=ready, sender_options=FAST_OUTBOX, ticks=ticks)
    )
    try:
        await asyncio.wait_for(ready.wait(), 15)
        yield settings, ticks
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 20)


def helps(stub: BotApiStub, chat: int) -> int:
    return len([t for t in stub.texts(chat) if HELP in t])


async def test_a_groups_help_flood_is_one_answer_and_holds_no_one_up(
    stub: BotApiStub, bot: tuple[Settings, Ticks]
) -> None:
    settings, ticks = bot
    members = [stub.user(8000 + i, f"Anggota {i}") for i in range(MEMBERS)]
    for text in ("/bantuan", "/bantuan@netmaint_bot", "/help", "/BANTUAN"):  # one answer
        for m in members:
            stub.send_text(m, text, JF_CHAT)
    jf = stub.user(JF_PERSON, "Bu Yanti JF ADB")
    stub.send_text(jf, "/agenda")
    await until(lambda: stub.sent(JF_PERSON), what="the JF ADB's agenda")
    first_private = stub.calls.index(stub.sent(JF_PERSON)[0])
    ahead = [
        c
        for c in stub.calls[:first_private]
        if c.method == "sendMessage" and c.carried_out and c.params.get("chat_id") == JF_CHAT
    ]
    assert len(ahead) <= 1, f"{len(ahead)} group messages went before the JF ADB's /agenda"
    await settled(settings.netmaint_db)
    assert helps(stub, JF_CHAT) == 1, "one help answer a minute in a group"
    db = settings.netmaint_db
    assert db_row(db, "SELECT COUNT(*), SUM(count) FROM audit WHERE outcome='repeat'") == (
        1,
        4 * MEMBERS - 1,
    ), "the ignored requests are one audit row that counts them"
    # A minute later the group is answered again; a private /bantuan never waits for one.
    ticks.t += 61
    stub.send_text(members[0], "/bantuan", JF_CHAT)
    stub.send_text(members[1], "/bantuan")
    stub.send_text(members[2], "/bantuan")
    await until(lambda: helps(stub, JF_CHAT) == 2, what="the next minute's group answer")
    await until(
        lambda: helps(stub, members[1]["id"]) == helps(stub, members[2]["id"]) == 1,
        what="private answers",
    )


async def test_ignored_flood_messages_are_kept_only_as_the_audit_needs(
    stub: BotApiStub, bot: tuple[Settings, Ticks]
) -> None:
    settings, _ = bot
    user = stub.user(USER_ID, "Rina")
    word = "A" * 4000
    ids = [stub.send_text(user, f"/bantuan {word}") for _ in range(20)]
    await until(lambda: [t for t in stub.texts(USER_ID) if "terlalu banyak pesan" in t])
    await settled(settings.netmaint_db)
    assert helps(stub, USER_ID) == LIMIT
    stored = dict(rows(settings.netmaint_db, "SELECT update_id, raw FROM inbox"))
    answered, ignored = ids[:LIMIT], ids[LIMIT:]
    assert all(len(stored[i]) > 4000 for i in answered), "answered updates are kept as they came"
    for i in ignored:
        assert len(stored[i]) <= BOUND, f"update {i} kept {len(stored[i])} characters"
        kept = json.loads(stored[i])["message"]
        assert kept["from"]["id"] == USER_ID and kept["chat"]["id"] == USER_ID
        assert kept["date"] and kept["text"] == f"/bantuan {word}"[:PREFIX]
    audit = rows(settings.netmaint_db, "SELECT what, count FROM audit WHERE outcome='flood'")
    assert audit == [("/bantuan", 20 - LIMIT)]


async def test_many_members_flooding_a_group_get_one_notice_a_minute(
    stub: BotApiStub, bot: tuple[Settings, Ticks]
) -> None:
    settings, _ = bot
    members = [stub.user(8000 + i, f"Anggota {i}") for i in range(10)]
    for _ in range(LIMIT + 2):
        for m in members:
            stub.send_text(m, "/bantuan", JF_CHAT)
    await until(lambda: stub.pending_updates() == 0, what="every update fetched")
    await settled(settings.netmaint_db)
    assert helps(stub, JF_CHAT) == 1
    notices = [t for t in stub.texts(JF_CHAT) if "terlalu banyak pesan" in t]
    assert len(notices) == 1, "one flood notice for the group, not one per member"
    flood = rows(
        settings.netmaint_db, "SELECT COUNT(*), SUM(count) FROM audit WHERE outcome='flood'"
    )
    assert flood == [(10, 10 * 2)], "each member's flood is still audited"
