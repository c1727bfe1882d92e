"""What goes wrong in real offices: wrong people pressing, stale and forged buttons,
huge or hostile text, a reporter who blocked the bot, a restart mid-flow."""

from __future__ import annotations

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, answer_site, db_row, file, settled, until, wait_decision
from tests.support.office import ADB_ID, JF_CHAT, KABID_CHAT, OTHER_ID, USER_ID


def state(bot: Bot, number: int) -> str:
    return db_row(bot.settings.netmaint_db, "SELECT state FROM complaints WHERE id=?", number)[0]


async def answered(stub: BotApiStub, query_id: str) -> str:
    answer = await until(lambda: stub.answers.get(query_id), what="the callback answer")
    return answer.get("text", "")


async def test_non_adb_press_is_refused_and_changes_nothing(stub: BotApiStub, bot: Bot) -> None:
    user, other = stub.user(USER_ID, "Rina"), stub.user(OTHER_ID, "Stranger")
    tag = await file(stub, user, "internet mati di loket 1")
    msg = await wait_decision(stub, tag)
    ya = stub.buttons(msg)["✅ Ya"]

    # A stranger replays the ADB's button (forged in the ADB's chat) and one in the JF group.
    q1 = stub.press(other, ADB_ID, msg["message_id"], ya)
    q2 = stub.press(stub.user(9100, "JF member"), JF_CHAT, msg["message_id"], ya)
    assert "hanya untuk petugas" in await answered(stub, q1)
    assert "hanya untuk petugas" in await answered(stub, q2)
    await settled(bot.settings.netmaint_db)  # a press is answered before its work is done

    assert state(bot, 1) == "awaiting_decision"
    assert stub.chat_messages(KABID_CHAT) == []
    assert stub.buttons(stub.find(ADB_ID, f"Diagnosis keluhan {tag}")), "buttons stay"
    refused = db_row(
        bot.settings.netmaint_db,
        "SELECT COUNT(*) FROM timeline WHERE kind='refused' AND complaint_id=1",
    )[0]
    assert refused == 2, "every refused press is an audit row"


async def test_double_press_and_button_of_a_closed_complaint(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    tag = await file(stub, user, "jaringan lambat")
    msg = await wait_decision(stub, tag)
    buttons = stub.buttons(msg)
    q1 = stub.press(adb, ADB_ID, msg["message_id"], buttons["✅ Ya"])
    q2 = stub.press(adb, ADB_ID, msg["message_id"], buttons["✅ Ya"])
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")
    assert await answered(stub, q1) == "Dicatat."
    assert "sudah tidak berlaku" in await answered(stub, q2)

    # The old message's Tidak, pressed after closing, changes nothing.
    q3 = stub.press(adb, ADB_ID, msg["message_id"], buttons["❌ Tidak"])
    assert "sudah tidak berlaku" in await answered(stub, q3)
    await settled(bot.settings.netmaint_db)
    assert state(bot, 1) == "closed"
    assert len(stub.chat_messages(KABID_CHAT)) == 1
    assert stub.chat_messages(JF_CHAT) == []


async def test_malformed_callback_data_is_answered_politely(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    tag = await file(stub, user, "wifi putus")
    msg = await wait_decision(stub, tag)
    sent_before = len(stub.calls_to("sendMessage"))
    for data in (
        "dec abc ya",
        "dec 1 drop",
        "x" * 100,
        "",
        "dec 1 ya; DROP TABLE complaints",
        "ven 1 99",
        "lap 99 pick",
        "dec 999 ya",
        "dec 1 ya \u202e",
    ):
        q = stub.press(adb, ADB_ID, msg["message_id"], data)
        text = await answered(stub, q)
        assert "Tidak ada yang diubah" in text, (data, text)
    await settled(bot.settings.netmaint_db)
    assert state(bot, 1) == "awaiting_decision"
    assert len(stub.calls_to("sendMessage")) == sent_before


async def test_5000_character_complaint_is_kept_whole_and_messages_fit(
    stub: BotApiStub, bot: Bot
) -> None:
    user = stub.user(USER_ID, "Rina")
    long_text = ("Komputer loket tidak bisa masuk SIAK. " * 140)[:5000]
    tag = await file(stub, user, long_text)
    msg = await wait_decision(stub, tag)
    assert "keluhan dipotong: panjang aslinya 5000 karakter" in msg["text"]
    stored = db_row(bot.settings.netmaint_db, "SELECT length(text) FROM complaints WHERE id=1")
    assert stored == (5000,)
    stub.send_text(user, "/lacak 1")
    await until(lambda: stub.find(USER_ID, "Riwayat keluhan #K1"), what="/lacak")
    for c in stub.calls_to("sendMessage") + stub.calls_to("editMessageText"):
        assert len(c.params["text"]) <= 4096


async def test_html_in_a_complaint_is_shown_as_text(stub: BotApiStub, bot: Bot) -> None:
    user = stub.user(USER_ID, "<b>Rina</b> & co")
    hostile = '<script>alert("x")</script> <b>bold</b> & <a href="http://evil">link</a> 1 < 2'
    tag = await file(stub, user, hostile)
    msg = await wait_decision(stub, tag)
    assert hostile in msg["text"], "the user sees exactly what was typed"
    assert "&lt;b&gt;Rina&lt;/b&gt; &amp; co" in msg["html"]
    assert "&lt;script&gt;" in msg["html"]
    refused = [
        c
        for c in stub.calls
        if c.method.startswith(("send", "edit"))
        and "text" in c.params
        and "<script>" in c.params["text"]
    ]
    assert refused == []


async def test_reporter_who_blocked_the_bot(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    stub.blocked.add(USER_ID)
    stub.send_text(user, "/lapor printer jaringan Kantor Dinas mati")  # no question
    warn = await until(lambda: stub.find(ADB_ID, "Pesan tidak terkirim"), what="ADB told")
    assert "#K1" in warn["text"] and "Rina" in warn["text"]
    msg = await wait_decision(stub, "#K1")
    stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["✅ Ya"])
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")
    await settled(bot.settings.netmaint_db)
    to_user = [c for c in stub.calls_to("sendMessage") if c.params["chat_id"] == USER_ID]
    assert len(to_user) == 1, "one refused attempt, no retry loop, later messages held"
    assert len([t for t in stub.texts(ADB_ID) if "Pesan tidak terkirim" in t]) == 1
    row = db_row(
        bot.settings.netmaint_db,
        "SELECT unreachable_at IS NOT NULL FROM chats WHERE chat_id=?",
        USER_ID,
    )
    assert row == (1,)

    # Writing to the bot again makes the chat reachable again.
    stub.blocked.discard(USER_ID)
    stub.send_text(user, "/lacak 1")
    await until(lambda: stub.find(USER_ID, "Riwayat keluhan #K1"), what="/lacak answered")


async def test_restart_in_the_middle_of_the_flow(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")

    # A restart between "which site?" and "what is wrong?" keeps the dialog.
    stub.send_text(user, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    await bot.restart()
    stub.press(user, USER_ID, ask["message_id"], stub.buttons(ask)["Kecamatan Koto XI Tarusan"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(user, "server kecamatan tidak bisa di-ping")
    await until(lambda: stub.find(USER_ID, "#K1 diterima"), what="ack")

    # A restart while waiting for the decision: the old buttons still work.
    msg = await wait_decision(stub, "#K1")
    await bot.restart()
    stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["❌ Tidak"])
    report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF report")
    assert "Kecamatan Koto XI Tarusan" in report["text"]

    # A restart during the diagnosis: it runs again and reaches the decision.
    stub.press(
        stub.user(9100, "Joko JF"),
        JF_CHAT,
        report["message_id"],
        stub.buttons(report)["🔧 Sudah diperbaiki"],
    )
    await until(lambda: state(bot, 1) == "diagnosing", what="re-check started")
    await bot.restart()
    msg2 = await wait_decision(stub, "#K1", round_=2)
    stub.press(adb, ADB_ID, msg2["message_id"], stub.buttons(msg2)["✅ Ya"])
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")
    assert state(bot, 1) == "closed"
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == (1,)


async def test_redelivered_update_files_one_complaint(stub: BotApiStub, bot: Bot) -> None:
    user = stub.user(USER_ID, "Rina")
    update_id = stub.send_text(user, "/lapor listrik aman, jaringan Kantor Dinas mati")
    await until(lambda: stub.find(USER_ID, "#K1 diterima"), what="ack")
    await bot.stop()
    stub.redeliver(update_id)
    await bot.start()
    # Telegram drops the update once the bot confirms an offset past it.
    await until(lambda: stub.pending_updates() == 0, what="the redelivered update fetched")
    await settled(bot.settings.netmaint_db)
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == (1,)
    assert len([t for t in stub.texts(USER_ID) if "diterima" in t]) == 1


async def test_adb_logs_a_phone_complaint_with_catat(stub: BotApiStub, bot: Bot) -> None:
    adb, user = stub.user(ADB_ID, "Andi ADB"), stub.user(USER_ID, "Rina")
    stub.send_text(user, "/catat Pak Budi: internet mati")
    await until(lambda: stub.find(USER_ID, "hanya untuk ADB"), what="non-ADB refused")
    stub.send_text(adb, "/catat Pak Budi (Kec. Lengayang): jaringan kecamatan putus sejak pagi")
    await answer_site(stub, adb)  # not a configured site: "Lainnya"
    ack = await until(lambda: stub.find(ADB_ID, "#K1 diterima"), what="ack to the ADB")
    assert "Pak Budi (Kec. Lengayang)" in ack["text"]
    msg = await wait_decision(stub, "#K1")
    assert "via telp/langsung, dicatat oleh Andi ADB" in msg["text"]


async def test_tag_start_help_and_agenda_roles(stub: BotApiStub, bot: Bot) -> None:
    user, jf = stub.user(USER_ID, "Rina"), stub.user(9100, "Joko JF")
    await file(stub, user, "jaringan putus")
    stub.send_text(user, "/start")
    await until(lambda: stub.find(USER_ID, "Maintenance Jaringan"), what="/start")
    stub.send_text(user, "/agenda")
    await until(lambda: stub.find(USER_ID, "hanya untuk ADB, JF ADB dan Kabid"), what="refusal")
    stub.send_text(stub.user(OTHER_ID, "Stranger"), "/lacak 1")
    await until(lambda: stub.find(OTHER_ID, "tidak ditemukan"), what="not someone else's")
    stub.send_text(jf, "#K1", chat_id=JF_CHAT)
    hist = await until(lambda: stub.find(JF_CHAT, "Riwayat keluhan #K1"), what="tag history")
    assert "keluhan diterima" in hist["text"]
    stub.send_text(jf, "/bantuan", chat_id=JF_CHAT)
    helptext = await until(lambda: stub.find(JF_CHAT, "/agenda"), what="help")
    assert "/tiket" in helptext["text"]


async def test_english_when_configured(stub: BotApiStub, settings, config) -> None:
    english = Bot(settings.model_copy(update={"netmaint_lang": "en"}), config)
    await english.start()
    try:
        user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
        stub.send_text(user, "/lapor the network at Kantor Dinas is down")
        await until(lambda: stub.find(USER_ID, "Complaint #K1 received"), what="English ack")
        msg = await until(
            lambda: (
                (m := stub.find(ADB_ID, "Is the network working properly now?"))
                and stub.buttons(m)
                and m
            ),
            what="English decision",
        )
        assert "Software check" in msg["text"]
        stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["❌ No"])
        report = await until(lambda: stub.find(JF_CHAT, "Report to the JF ADB"), what="report")
        assert set(stub.buttons(report)) == {"🔧 Repaired", "📞 Call a third party"}
    finally:
        await english.stop()


async def test_another_poller_with_the_same_token_is_waited_out(stub: BotApiStub, bot: Bot) -> None:
    """A 409 (the old copy still polling during a redeploy) is retried, not a crash."""
    stub.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    stub.send_text(stub.user(USER_ID, "Rina"), "/start")
    await until(lambda: stub.chat_messages(USER_ID), what="the bot answers after the 409")
    assert bot.task is not None and not bot.task.done()
