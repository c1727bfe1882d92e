"""Setting the bot up and who may act, through Telegram: /id, roles by person, menus by role,
and groups the bot was never set up for (issue 13)."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, rows, running, settled, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT, OTHER_ID, USER_ID

JF_PERSON = 9100
KABID_PERSON = 9200
STRANGE_GROUP = -100999


async def handled(stub: BotApiStub, db: Path) -> None:
    """Every update fed to the stand-in was fetched, and everything it caused is done."""
    await until(lambda: stub.pending_updates() == 0, what="every update fetched")
    await settled(db)


def by_person(settings: Settings) -> Settings:
    """The test settings with the JF ADB and the Kabid named by person."""
    return settings.model_copy(
        update={"jf_adb_user_ids": (JF_PERSON,), "kabid_user_ids": (KABID_PERSON,)}
    )


async def test_id_in_a_private_chat_and_in_groups(stub: BotApiStub, bot: Bot) -> None:
    user = stub.user(USER_ID, "Rina")
    stub.send_text(user, "/id")
    mine = await until(lambda: stub.find(USER_ID, "Data chat ini"), what="/id answer")
    assert f"ID Telegram Anda: {USER_ID}" in mine["text"]
    assert f"ADB_USER_IDS=…,{USER_ID}" in mine["text"]

    stub.send_text(user, "/id", chat_id=JF_CHAT)
    jf = await until(lambda: stub.find(JF_CHAT, "Data chat ini"), what="/id in the JF group")
    assert (
        f"ID grup: {JF_CHAT}" in jf["text"]
        and "sudah dipasang sebagai JF_ADB_CHAT_ID" in jf["text"]
        and "Bot boleh mengirim pesan" in jf["text"]
    )

    # a group not set up yet, where members may not post: the line to paste, and the warning
    stub.permissions[STRANGE_GROUP] = {"can_send_messages": False}
    stub.send_text(user, "/id@netmaint_bot", chat_id=STRANGE_GROUP)
    new = await until(lambda: stub.find(STRANGE_GROUP, "Data chat ini"), what="/id elsewhere")
    assert f"JF_ADB_CHAT_ID={STRANGE_GROUP}" in new["text"]
    assert f"KABID_CHAT_ID={STRANGE_GROUP}" in new["text"]
    assert "tidak boleh mengirim pesan" in new["text"]
    assert f"ID Telegram Anda (Rina): {USER_ID}" in new["text"]
    await handled(stub, bot.settings.netmaint_db)
    assert not stub.find(STRANGE_GROUP, "belum dipasang"), "/id alone says nothing else"


async def test_a_group_not_set_up_gets_nothing_but_id_and_one_notice(
    stub: BotApiStub, bot: Bot
) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    tag = await file(stub, user, "SIAK mati di loket rahasia")
    await wait_decision(stub, tag)
    for text in ("/agenda", "/lacak 1", "#K1", "/lapor internet mati", "/catat Budi: mati"):
        stub.send_text(adb, text, chat_id=STRANGE_GROUP)
    stub.press(adb, STRANGE_GROUP, 1, "dec 1 ya")  # a forged button there changes nothing
    await handled(stub, bot.settings.netmaint_db)
    texts = stub.texts(STRANGE_GROUP)
    assert len(texts) == 1 and "belum dipasang untuk grup ini" in texts[0], texts
    assert "rahasia" not in " ".join(texts)
    assert rows(bot.settings.netmaint_db, "SELECT state FROM complaints") == [
        ("awaiting_decision",)
    ]
    # the commands and the press there are refusals the office can review
    assert rows(
        bot.settings.netmaint_db,
        "SELECT kind, what, outcome FROM audit WHERE chat_id=? ORDER BY id",
        STRANGE_GROUP,
    ) == [
        ("command", "/agenda", "refused"),
        ("command", "/lacak", "refused"),
        ("command", "/lapor", "refused"),
        ("command", "/catat", "refused"),
        ("button", "dec 1 ya", "refused"),
    ]

    # remembered across a restart: still one notice
    await bot.restart()
    stub.send_text(adb, "/agenda", chat_id=STRANGE_GROUP)
    await handled(stub, bot.settings.netmaint_db)
    assert len(stub.texts(STRANGE_GROUP)) == 1
    # the configured groups and private chats still work
    stub.send_text(adb, "/agenda", chat_id=KABID_CHAT)
    await until(lambda: stub.find(KABID_CHAT, "#K1"), what="agenda in the Kabid group")


async def test_with_jf_adb_user_ids_a_group_member_cannot_press_the_reports_buttons(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    async with running(Bot(by_person(settings), config)) as bot:
        user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
        member, jf = stub.user(OTHER_ID, "Bukan JF"), stub.user(JF_PERSON, "Joko JF")
        tag = await file(stub, user, "jaringan putus")
        msg = await wait_decision(stub, tag)
        stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["❌ Tidak"])
        report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF report")
        buttons = stub.buttons(report)

        # a member of the JF ADB group who is not the JF ADB: refused, audited, nothing changes
        forged = [buttons["📞 Hubungi pihak ke tiga"], "ven 1 0", "jf 1 fix"]
        queries = [stub.press(member, JF_CHAT, report["message_id"], d) for d in forged]
        stub.send_text(member, "/tiket 1 PALSU-123", chat_id=JF_CHAT)
        await handled(stub, bot.settings.netmaint_db)
        for q in queries:
            assert "hanya untuk petugas" in stub.answers[q]["text"]
        audited = rows(
            bot.settings.netmaint_db,
            "SELECT kind, outcome FROM audit WHERE user_id=? ORDER BY id",
            OTHER_ID,
        )
        assert audited == [("button", "refused")] * 3 + [("command", "refused")]
        assert rows(bot.settings.netmaint_db, "SELECT COUNT(*) FROM vendor_calls") == [(0,)]
        assert rows(bot.settings.netmaint_db, "SELECT state FROM complaints") == [("escalated",)]

        # the JF ADB by person may, in the group
        stub.press(jf, JF_CHAT, report["message_id"], buttons["📞 Hubungi pihak ke tiga"])
        await until(lambda: stub.find(JF_CHAT, "Telkom Indihome"), what="the vendor list")


async def test_command_menus_are_set_per_role(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    async with running(Bot(by_person(settings), config)):
        await until(lambda: stub.commands_for("chat", KABID_CHAT), what="the menus")
        assert stub.commands_for("default") == ["lapor", "lacak", "batal", "bantuan"]
        for adb in (ADB_ID, ADB2_ID):
            menu = stub.commands_for("chat", adb)
            assert menu is not None and menu[:4] == ["lapor", "lacak", "batal", "bantuan"]
            assert {"catat", "agenda", "rekap", "pisah", "gabung"} <= set(menu)
        jf = stub.commands_for("chat", JF_CHAT)
        assert jf is not None and {"tiket", "rekap"} <= set(jf)
        assert "lapor" not in jf and "catat" not in jf
        kabid = stub.commands_for("chat", KABID_CHAT)
        assert kabid is not None and {"agenda", "rekap"} <= set(kabid) and "tiket" not in kabid
        assert "tiket" in (stub.commands_for("chat", JF_PERSON) or [])
        described = {
            c["command"]: c["description"]
            for c in stub.calls_to("setMyCommands")[0].params["commands"]
        }
        assert described["lapor"] == "Laporkan gangguan jaringan"


async def test_an_adb_who_never_pressed_start_does_not_stop_the_menus(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    stub.unknown_chats.add(ADB2_ID)
    stub.fail_next("setMyCommands", 400, "Bad Request: chat not found")
    async with running(Bot(settings, config)):
        await until(lambda: stub.commands_for("chat", KABID_CHAT), what="the other menus")


async def test_database_files_are_private(stub: BotApiStub, bot: Bot) -> None:
    user = stub.user(USER_ID, "Rina")
    await file(stub, user, "internet mati")
    db = bot.settings.netmaint_db
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert f.exists() and stat.S_IMODE(f.stat().st_mode) == 0o600, f


async def test_an_old_readable_database_is_tightened_at_open(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    db = settings.netmaint_db
    async with running(Bot(settings, config)):
        pass
    db.chmod(0o644)
    async with running(Bot(settings, config)):
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
