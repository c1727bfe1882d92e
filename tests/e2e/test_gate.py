"""The gate before every handler (``handlers/flood.py``) and what a complaint must contain.

Real bot (in-process ``run_bot``), the Bot API stand-in over real HTTP, a real SQLite
file. Issue 14: one member's 100 × /bantuan made 100 replies and one audit row each;
an edited message would have filed a second complaint; ``/lapor \\x00\\x00`` was filed
with invisible text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, db_row, running, settled, until
from tests.support.office import ADB_ID, JF_CHAT, OTHER_ID, USER_ID

LIMIT = 5  # updates_per_minute in these tests; ADBs keep the default (120)
HELP = "Bantuan"
NOTICE = "terlalu banyak pesan"


@pytest.fixture
async def bot(settings: Settings, config: OfficeConfig) -> AsyncIterator[Bot]:
    limited = config.model_copy(
        update={"limits": config.limits.model_copy(update={"updates_per_minute": LIMIT})}
    )
    async with running(Bot(settings, limited)) as b:
        yield b


def count(stub: BotApiStub, chat: int, needle: str) -> int:
    return len([t for t in stub.texts(chat) if needle in t])


async def test_one_members_flood_gets_limit_replies_one_notice_one_audit_row(
    stub: BotApiStub, bot: Bot
) -> None:
    # In a private chat: in a group, repeated help requests are collapsed before the
    # per-user limit matters (tests/e2e/test_group_flood.py).
    member, other = stub.user(USER_ID, "Rina"), stub.user(OTHER_ID, "Sari")
    for _ in range(30):
        stub.send_text(member, "/bantuan")
    await until(lambda: count(stub, USER_ID, NOTICE), what="the flood notice")
    await settled(bot.settings.netmaint_db)
    assert count(stub, USER_ID, HELP) == LIMIT
    assert count(stub, USER_ID, NOTICE) == 1, "one notice, then silence"
    db = bot.settings.netmaint_db
    assert db_row(db, "SELECT COUNT(*), SUM(count) FROM audit WHERE user_id=?", USER_ID) == (
        1,
        30 - LIMIT,
    )
    assert db_row(db, "SELECT outcome, chat_id, what FROM audit") == ("flood", USER_ID, "/bantuan")
    # Someone else is answered as usual, in a group too.
    stub.send_text(other, "/bantuan", JF_CHAT)
    await until(lambda: count(stub, JF_CHAT, HELP) == 1, what="the other's help")


async def test_button_floods_are_one_audit_row_not_one_per_press(
    stub: BotApiStub, bot: Bot
) -> None:
    user = stub.user(USER_ID, "Rina")
    for _ in range(25):
        stub.press(user, USER_ID, 1, "nonsense 1 2")
    await until(lambda: count(stub, USER_ID, NOTICE), what="the flood notice")
    await settled(bot.settings.netmaint_db)
    db = bot.settings.netmaint_db
    assert db_row(db, "SELECT COUNT(*) FROM audit WHERE outcome='invalid'") == (LIMIT,)
    assert db_row(db, "SELECT COUNT(*), SUM(count) FROM audit WHERE outcome='flood'") == (
        1,
        25 - LIMIT,
    )
    assert len(stub.calls_to("answerCallbackQuery")) == LIMIT, "ignored presses cost no call"


async def test_adbs_have_a_higher_limit(stub: BotApiStub, bot: Bot) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    for _ in range(3 * LIMIT):
        stub.send_text(adb, "/bantuan")
    await until(lambda: count(stub, ADB_ID, HELP) == 3 * LIMIT, what="every help reply")
    await settled(bot.settings.netmaint_db)
    assert count(stub, ADB_ID, NOTICE) == 0


async def test_group_chatter_the_bot_does_not_answer_is_not_counted(
    stub: BotApiStub, bot: Bot
) -> None:
    member = stub.user(USER_ID, "Rina")
    for i in range(3 * LIMIT):
        stub.send_text(member, f"rapat jam {i}", JF_CHAT)
    stub.send_text(member, "/bantuan", JF_CHAT)
    await until(lambda: count(stub, JF_CHAT, HELP), what="the help reply")
    await settled(bot.settings.netmaint_db)
    assert count(stub, JF_CHAT, NOTICE) == 0
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM audit") == (0,)


def edited(stub: BotApiStub, user: dict[str, Any], text: str) -> int:
    """An ``edited_message`` update, as Telegram sends one when a user edits a message."""
    return stub._push(
        {
            "edited_message": {
                "message_id": 4242,
                "date": 1700000000,
                "edit_date": 1700000060,
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "from": user,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
            }
        }
    )


async def test_an_edited_message_files_nothing_and_gets_no_reply(
    stub: BotApiStub, bot: Bot
) -> None:
    user = stub.user(USER_ID, "Rina")
    uid = edited(stub, user, "/lapor jaringan lantai 2 mati")
    edited(stub, user, "jaringan mati juga di loket")
    stub.send_text(user, "/bantuan")
    await until(lambda: count(stub, USER_ID, HELP), what="the help reply")
    await settled(bot.settings.netmaint_db)
    db = bot.settings.netmaint_db
    assert db_row(db, "SELECT COUNT(*) FROM complaints") == (0,)
    assert len(stub.texts(USER_ID)) == 1, stub.texts(USER_ID)
    assert db_row(db, "SELECT handled, error FROM inbox WHERE update_id=?", uid) == (1, None)


@pytest.mark.parametrize("text", ["/lapor \x00\x00", "/lapor \u200b\u200e\x7f", "/lapor \x1b"])
async def test_a_complaint_of_only_control_characters_asks_for_a_description(
    stub: BotApiStub, bot: Bot, text: str
) -> None:
    user = stub.user(USER_ID, "Rina")
    stub.send_text(user, text)
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.press(user, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(user, "\x00\u2063 ")  # the dialog's answer: still nothing readable
    await until(
        lambda: count(stub, USER_ID, "Jelaskan gangguannya") == 2, what="the question asked again"
    )
    await settled(bot.settings.netmaint_db)
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == (0,)
    stub.send_text(user, "printer di loket 2 mati")
    await until(lambda: count(stub, USER_ID, "diterima"), what="the acknowledgement")
