"""The SOP's "recovery database" after Ya: the ADB's question, their answer in the record,
and the Kabid's "Laporan recovery database"; wrong, second and early presses change nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, rows, settled, until, wait_decision
from tests.support.office import ADB_ID, JF_CHAT, KABID_CHAT, OTHER_ID, USER_ID

DONE = "💾 Ya, recovery database sudah dilakukan"
NOT_NEEDED = "Tidak perlu recovery"


async def answered(stub: BotApiStub, query_id: str) -> str:
    answer = await until(lambda: stub.answers.get(query_id), what="the callback answer")
    return str(answer.get("text", ""))


async def closed_with_question(stub: BotApiStub) -> dict[str, Any]:
    """A complaint filed, diagnosed and decided Ya: the ADB's recovery question."""
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    tag = await file(stub, user, "SIAK tidak bisa dibuka di loket 2")
    msg = await wait_decision(stub, tag)
    stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["✅ Ya"])
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="the Kabid report")
    ask: dict[str, Any] = await until(
        lambda: stub.find(ADB_ID, "Apakah perlu recovery database?"), what="the question"
    )
    return ask


def recoveries(db: Path) -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT actor_id, json_extract(detail, '$.answer'), json_extract(detail, '$.incident')"
        " FROM timeline WHERE kind='recovery' ORDER BY id",
    )


async def test_recovery_done_sends_the_laporan_recovery_database(
    stub: BotApiStub, bot: Bot
) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    ask = await closed_with_question(stub)
    assert "⚠️ Hati-hati bekerja dengan database" in ask["text"]
    assert "Hardisk/Flashdisk" in ask["text"] and "#I1" in ask["text"]
    assert set(stub.buttons(ask)) == {DONE, NOT_NEEDED}
    first = stub.find(KABID_CHAT, "Melaporkan ke Kabid")
    assert first is not None and "recovery" not in first["text"].lower()  # not waited for

    q = stub.press(adb, ADB_ID, ask["message_id"], stub.buttons(ask)[DONE])
    assert await answered(stub, q) == "Dicatat."
    report = await until(
        lambda: stub.find(KABID_CHAT, "LAPORAN RECOVERY DATABASE"), what="the recovery report"
    )
    text = report["text"]
    assert "Laporan recovery database: recovery database sudah dilakukan oleh Andi" in text
    assert "Hardisk/Flashdisk" in text and "#K1" in text
    assert "Keputusan ADB: Ya, oleh Andi" in text
    assert "Jaringan berjalan normal" in text
    assert len(stub.chat_messages(KABID_CHAT)) == 2
    assert recoveries(bot.settings.netmaint_db) == [(ADB_ID, "ya", 1)]

    # A second press, of either button, is stale: nothing more is recorded or sent.
    q2 = stub.press(adb, ADB_ID, ask["message_id"], stub.buttons(ask)[DONE])
    q3 = stub.press(adb, ADB_ID, ask["message_id"], stub.buttons(ask)[NOT_NEEDED])
    assert "sudah tidak berlaku" in await answered(stub, q2)
    assert "sudah tidak berlaku" in await answered(stub, q3)
    await settled(bot.settings.netmaint_db)
    assert len(stub.chat_messages(KABID_CHAT)) == 2
    assert recoveries(bot.settings.netmaint_db) == [(ADB_ID, "ya", 1)]

    # The answer, who gave it and when, is in the complaint's history (/lacak).
    stub.send_text(adb, "/lacak 1")
    history = await until(lambda: stub.find(ADB_ID, "Riwayat keluhan #K1"), what="/lacak")
    line = next(x for x in history["text"].splitlines() if "recovery database" in x)
    assert "💾 recovery database: sudah dilakukan · Andi ADB" in line
    assert re.match(r"\d\d\.\d\d", line)  # starts with the time, hh.mm
    assert "terkirim: laporan recovery database ke Kabid" in history["text"]


async def test_no_recovery_needed_keeps_the_normal_report(stub: BotApiStub, bot: Bot) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    ask = await closed_with_question(stub)
    q = stub.press(adb, ADB_ID, ask["message_id"], stub.buttons(ask)[NOT_NEEDED])
    assert await answered(stub, q) == "Dicatat."
    await settled(bot.settings.netmaint_db)

    kabid = stub.chat_messages(KABID_CHAT)
    assert len(kabid) == 1
    assert "LAPORAN PENYELESAIAN GANGGUAN JARINGAN" in kabid[0]["text"]
    assert "recovery" not in kabid[0]["text"].lower()
    assert recoveries(bot.settings.netmaint_db) == [(ADB_ID, "tidak", 1)]
    stub.send_text(adb, "/lacak 1")
    history = await until(lambda: stub.find(ADB_ID, "Riwayat keluhan #K1"), what="/lacak")
    assert "recovery database: tidak perlu · Andi ADB" in history["text"]


async def test_only_an_adb_may_answer_and_only_after_ya(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    other, jf = stub.user(OTHER_ID, "Stranger"), stub.user(9100, "JF member")
    db = bot.settings.netmaint_db
    tag = await file(stub, user, "jaringan putus")
    msg = await wait_decision(stub, tag)

    # Before Ya the question does not apply: a forged "rec 1 ya" by the ADB is stale.
    early = stub.press(adb, ADB_ID, msg["message_id"], "rec 1 ya")
    assert "sudah tidak berlaku" in await answered(stub, early)
    stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["✅ Ya"])
    ask = await until(
        lambda: stub.find(ADB_ID, "Apakah perlu recovery database?"), what="the question"
    )
    done = stub.buttons(ask)[DONE]

    # A stranger replays the ADB's button; a JF ADB member presses it in the JF group.
    q1 = stub.press(other, ADB_ID, ask["message_id"], done)
    q2 = stub.press(jf, JF_CHAT, ask["message_id"], done)
    q3 = stub.press(user, USER_ID, ask["message_id"], done)
    for q in (q1, q2, q3):
        assert "hanya untuk petugas" in await answered(stub, q)
    await settled(db)
    assert recoveries(db) == []
    assert len(stub.chat_messages(KABID_CHAT)) == 1
    refused = rows(
        db,
        "SELECT actor_id, json_extract(detail, '$.action') FROM timeline"
        " WHERE kind='refused' ORDER BY id",
    )
    assert refused == [
        (OTHER_ID, "recovery_ya"),
        (9100, "recovery_ya"),
        (USER_ID, "recovery_ya"),
    ]
    assert rows(db, "SELECT kind FROM timeline WHERE kind='stale'") == [("stale",)]

    # The refusals changed nothing: the ADB's own answer still applies.
    q4 = stub.press(adb, ADB_ID, ask["message_id"], done)
    assert await answered(stub, q4) == "Dicatat."
    await until(lambda: stub.find(KABID_CHAT, "LAPORAN RECOVERY DATABASE"), what="the report")
    assert recoveries(db) == [(ADB_ID, "ya", 1)]
