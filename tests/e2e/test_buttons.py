"""Buttons go away once they stop applying, and name what they choose by a stable key.

Issue 18: the decision prompt in every ADB chat, the vendor lists, the still-down
button, a finished dialog's buttons lose their keyboard; a stale press takes away the
keyboard it was pressed on, a forged one never strips a live message. Issue 19: a
vendor button records the vendor it shows, whatever [[vendors]]' order is by then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.render import buttons
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, rows, running, settled, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT, OTHER_ID, USER_ID

STALE = "sudah tidak berlaku"
CALL = "📞 Hubungi pihak ke tiga"
TELKOM, LINTAS = "Telkom Indihome", "Lintasarta"
LIST = "tekan tombol nama pihak ke tiga"  # the vendor list's last line


def vendors_config(config: OfficeConfig, *names: str) -> OfficeConfig:
    """The test office with these [[vendors]], in this order."""
    listed = tuple(config.vendors[0].model_copy(update={"name": n}) for n in names)
    return config.model_copy(update={"vendors": listed})


def calls(db: Path) -> list[str]:
    return [v for (v,) in rows(db, "SELECT vendor FROM vendor_calls ORDER BY id")]


async def answered(stub: BotApiStub, query_id: str) -> str:
    answer = await until(lambda: stub.answers.get(query_id), what="the callback answer")
    return str(answer.get("text", ""))


Message = dict[str, Any]  # a message as the stand-in shows it


def message(stub: BotApiStub, chat: int, message_id: int) -> Message:
    """A message as its chat shows it now (after every edit)."""
    return stub.messages[(chat, message_id)]


async def escalated(stub: BotApiStub) -> Message:
    """A complaint, its Tidak, and the JF ADB's report with its buttons."""
    tag = await file(stub, stub.user(USER_ID, "Rina"), "SIAK tidak bisa dibuka")
    msg = await wait_decision(stub, tag)
    stub.press(stub.user(ADB_ID, "Andi ADB"), ADB_ID, msg["message_id"], "dec 1 no")
    report: Message = await until(
        lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF report"
    )
    return report


async def vendor_list(stub: BotApiStub, report: Message, before: int = 0) -> Message:
    """The JF ADB presses "Hubungi pihak ke tiga": the list that comes back."""
    stub.press(
        stub.user(9100, "Joko JF"), JF_CHAT, report["message_id"], stub.buttons(report)[CALL]
    )
    lists = await until(
        lambda: [m for m in stub.chat_messages(JF_CHAT) if LIST in m["text"]][before:],
        what="the vendor list",
    )
    first: Message = lists[0]
    return first


async def test_ya_in_one_adb_chat_takes_the_buttons_from_every_adbs_prompt(
    stub: BotApiStub, bot: Bot
) -> None:
    tag = await file(stub, stub.user(USER_ID, "Rina"), "internet mati di loket 1")
    mine = await wait_decision(stub, tag, chat=ADB_ID)
    theirs = await wait_decision(stub, tag, chat=ADB2_ID)
    stub.press(stub.user(ADB_ID, "Andi ADB"), ADB_ID, mine["message_id"], "dec 1 ya")
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")

    def decided() -> Message | None:
        m = stub.find(ADB2_ID, f"Diagnosis keluhan {tag}")
        return m if m and "Keputusan: Ya" in m["text"] else None

    prompt = await until(decided, what="the other ADB's prompt shows the decision")
    assert prompt["message_id"] == theirs["message_id"], "edited in place, not sent again"
    assert stub.buttons(prompt) == {}, "no Ya/Tidak left to press"
    assert "Andi ADB" in prompt["text"], "who decided"
    await settled(bot.settings.netmaint_db)
    assert stub.buttons(message(stub, ADB_ID, mine["message_id"])) == {}


async def test_a_called_vendor_takes_the_buttons_from_every_list(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    async with running(Bot(settings, vendors_config(config, TELKOM, "Vendor Padang"))) as bot:
        report = await escalated(stub)
        first = await vendor_list(stub, report)
        second = await vendor_list(stub, report, before=1)  # pressed twice: two lists
        jf = stub.user(9100, "Joko JF")
        q = stub.press(
            jf, JF_CHAT, first["message_id"], stub.buttons(first)[f"📞 Sudah dihubungi: {TELKOM}"]
        )
        assert await answered(stub, q) == "Dicatat."
        await until(lambda: stub.find(JF_CHAT, "dihubungi oleh Joko JF"), what="call recorded")
        await settled(bot.settings.netmaint_db)
        for shown in (first, second):
            assert stub.buttons(message(stub, JF_CHAT, shown["message_id"])) == {}
        # the report keeps its own: repaired, or call another vendor
        assert set(stub.buttons(message(stub, JF_CHAT, report["message_id"]))) == {
            "🔧 Sudah diperbaiki",
            CALL,
        }
        assert calls(bot.settings.netmaint_db) == [TELKOM]


async def test_a_vendor_button_records_its_vendor_after_the_list_was_reordered(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    bot = Bot(settings, vendors_config(config, TELKOM, LINTAS, "Vendor Padang"))
    async with running(bot):
        shown = await vendor_list(stub, await escalated(stub))
        telkom = stub.buttons(shown)[f"📞 Sudah dihubungi: {TELKOM}"]
        assert telkom == f"ven 1 {buttons.key(TELKOM)}"
        # The office reorders [[vendors]] and restarts the bot; the old list is still shown.
        bot.config = vendors_config(config, LINTAS, TELKOM, "Vendor Padang")
        await bot.restart()
        q = stub.press(stub.user(9100, "Joko JF"), JF_CHAT, shown["message_id"], telkom)
        assert await answered(stub, q) == "Dicatat."
        called = await until(
            lambda: stub.find(JF_CHAT, "dihubungi oleh Joko JF"), what="call recorded"
        )
        assert calls(bot.settings.netmaint_db) == [TELKOM]
        assert TELKOM in called["text"] and LINTAS not in called["text"]


async def test_a_forged_or_old_vendor_key_records_nothing(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    async with running(Bot(settings, vendors_config(config, TELKOM, "Vendor Padang"))) as bot:
        shown = await vendor_list(stub, await escalated(stub))
        jf = stub.user(9100, "Joko JF")
        # a vendor not configured, made-up keys, and the old format (a position)
        for data in (f"ven 1 {buttons.key(LINTAS)}", "ven 1 zzzzzzzz", "ven 1 0", "ven 1 1"):
            q = stub.press(jf, JF_CHAT, shown["message_id"], data)
            assert STALE in await answered(stub, q), data
        await settled(bot.settings.netmaint_db)
        assert calls(bot.settings.netmaint_db) == []
        assert rows(bot.settings.netmaint_db, "SELECT state FROM complaints") == [("escalated",)]
        # forged data is not on the list: its real buttons stay for the JF ADB to press
        assert len(stub.buttons(message(stub, JF_CHAT, shown["message_id"]))) == 3


async def test_a_stale_press_takes_the_keyboard_it_was_pressed_on_away(
    stub: BotApiStub, bot: Bot
) -> None:
    user = stub.user(USER_ID, "Rina")
    stub.send_text(user, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.send_text(user, "/batal")  # the dialog ends; its message still shows the sites
    await until(lambda: stub.find(USER_ID, "Laporan dibatalkan"), what="cancelled")
    assert stub.buttons(message(stub, USER_ID, ask["message_id"]))
    q = stub.press(user, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    assert STALE in await answered(stub, q)
    await until(
        lambda: stub.buttons(message(stub, USER_ID, ask["message_id"])) == {},
        what="the stale keyboard removed",
    )
    await settled(bot.settings.netmaint_db)
    assert rows(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == [(0,)]
    assert "Di lokasi/unit mana" in message(stub, USER_ID, ask["message_id"])["text"]


async def test_stale_data_forged_under_a_live_prompt_leaves_its_buttons(
    stub: BotApiStub, bot: Bot
) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    first = await wait_decision(stub, await file(stub, stub.user(USER_ID, "Rina"), "wifi putus"))
    stub.press(adb, ADB_ID, first["message_id"], "dec 1 ya")
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")
    await settled(bot.settings.netmaint_db)
    # a second outage elsewhere, after the first was decided: its own prompt
    stub.send_text(stub.user(USER_ID, "Rina"), "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.press(
        stub.user(USER_ID, "Rina"),
        USER_ID,
        ask["message_id"],
        stub.buttons(ask)["Kecamatan Koto XI Tarusan"],
    )
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(stub.user(USER_ID, "Rina"), "printer jaringan mati")
    live = await wait_decision(stub, "#K2")
    q = stub.press(adb, ADB_ID, live["message_id"], "dec 1 no")  # stale: #I1 is closed
    assert STALE in await answered(stub, q)
    await settled(bot.settings.netmaint_db)
    assert set(stub.buttons(message(stub, ADB_ID, live["message_id"]))) == {
        "✅ Ya",
        "❌ Tidak",
        "🔁 Cek ulang",
    }


async def test_the_still_down_button_goes_once_it_is_used(stub: BotApiStub, bot: Bot) -> None:
    rina, budi = stub.user(USER_ID, "Rina"), stub.user(OTHER_ID, "Budi")
    first = await wait_decision(stub, await file(stub, rina, "internet mati"))
    stub.press(stub.user(ADB_ID, "Andi ADB"), ADB_ID, first["message_id"], "dec 1 ya")
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")
    # Budi reports the same outage just after it was declared over: he may say it is not
    await file(stub, budi, "internet masih mati")
    ack = await until(lambda: stub.find(OTHER_ID, "diterima"), what="ack")
    still = stub.buttons(ack)["⚠️ Jaringan saya masih terganggu"]
    q = stub.press(budi, OTHER_ID, ack["message_id"], still)
    assert await answered(stub, q) == "Dicatat."
    await wait_decision(stub, "#K2")
    await settled(bot.settings.netmaint_db)
    assert stub.buttons(message(stub, OTHER_ID, ack["message_id"])) == {}
    assert "diterima" in message(stub, OTHER_ID, ack["message_id"])["text"]


async def test_closing_an_escalated_complaint_takes_the_jf_adbs_buttons_away(
    stub: BotApiStub, bot: Bot
) -> None:
    report = await escalated(stub)
    shown = await vendor_list(stub, report)
    stub.send_text(stub.user(ADB_ID, "Andi ADB"), "/tutup 1 salah kirim, bukan gangguan jaringan")
    await until(
        lambda: rows(bot.settings.netmaint_db, "SELECT state FROM complaints") == [("closed",)],
        what="closed",
    )
    await settled(bot.settings.netmaint_db)
    for m in (report, shown):
        assert stub.buttons(message(stub, JF_CHAT, m["message_id"])) == {}, m["text"]
