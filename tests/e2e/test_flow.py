"""The whole SOP through Telegram: complaint, diagnosis, Tidak, JF ADB, vendor, fix, Ya, Kabid."""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys

import pytest

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, db_row, rows, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT, USER_ID


def decision_message(stub: BotApiStub, chat: int, tag: str) -> dict:
    return stub.find(chat, f"Diagnosis keluhan {tag}")


async def test_complaint_to_closure_through_jf_adb_and_vendor(
    stub: BotApiStub, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = stub.user(USER_ID, "Rina")
    adb = stub.user(ADB_ID, "Andi ADB")
    jf = stub.user(9100, "Joko JF")

    # Step 1: the guided /lapor dialog with site buttons.
    stub.send_text(user, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    assert "Kantor Dinas" in stub.buttons(ask)
    stub.press(user, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(user, "SIAK tidak bisa dibuka di loket 2 sejak pagi")
    ack = await until(lambda: stub.find(USER_ID, "diterima"), what="ack")
    assert "#K1" in ack["text"] and "Kantor Dinas" in ack["text"]

    # Steps 2-6 fill in, then step 7 asks the question, in every ADB's private chat.
    msg = await wait_decision(stub, "#K1")
    for step in ("2. Melakukan pemeriksaan secara software", "4. Menge'ping'", "6. Cek Hardware"):
        assert step in msg["text"]
    assert "standar" in msg["text"]
    assert stub.find(ADB2_ID, "Diagnosis keluhan #K1") is not None
    edits = [c for c in stub.calls_to("editMessageText") if c.params["chat_id"] == ADB_ID]
    assert edits, "the diagnosis message is edited in place as steps finish"
    buttons = stub.buttons(msg)
    assert set(buttons) == {"✅ Ya", "❌ Tidak", "🔁 Cek ulang"}

    # Step 8: Tidak -> the JF ADB group gets the report with its two buttons.
    stub.press(adb, ADB_ID, msg["message_id"], buttons["❌ Tidak"])
    report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF report")
    assert "#K1" in report["text"] and "SIAK tidak bisa dibuka" in report["text"]
    jf_buttons = stub.buttons(report)
    assert set(jf_buttons) == {"🔧 Sudah diperbaiki", "📞 Hubungi pihak ke tiga"}
    decided = await until(
        lambda: (
            "Keputusan: Tidak" in (decision_message(stub, ADB_ID, "#K1") or {"text": ""})["text"]
            and decision_message(stub, ADB_ID, "#K1")
        ),
        what="decision shown",
    )
    assert "Andi ADB" in decided["text"] and not stub.buttons(decided)
    await until(lambda: stub.find(USER_ID, "sedang ditangani"), what="reporter told")

    # Step 11: the vendor list, the call recorded, the vendor's ticket number.
    stub.press(jf, JF_CHAT, report["message_id"], jf_buttons["📞 Hubungi pihak ke tiga"])
    vendors = await until(lambda: stub.find(JF_CHAT, "Telkom Indihome"), what="vendor list")
    assert "147" in vendors["text"]
    stub.press(
        jf,
        JF_CHAT,
        vendors["message_id"],
        stub.buttons(vendors)["📞 Sudah dihubungi: Telkom Indihome"],
    )
    await until(lambda: stub.find(JF_CHAT, "dihubungi oleh Joko JF"), what="call recorded")
    stub.send_text(jf, "/tiket 1 INC-7781", chat_id=JF_CHAT)
    await until(lambda: stub.find(JF_CHAT, "INC-7781"), what="ticket recorded")

    # "Sudah diperbaiki": the checks run again and the decision comes back.
    stub.press(jf, JF_CHAT, report["message_id"], jf_buttons["🔧 Sudah diperbaiki"])
    await until(lambda: stub.find(JF_CHAT, "sudah diperbaiki oleh Joko JF"), what="fixed")
    msg2 = await wait_decision(stub, "#K1", round_=2)

    # Step 9: Ya -> the Kabid group gets the completion report; the complaint closes.
    stub.press(adb, ADB_ID, msg2["message_id"], stub.buttons(msg2)["✅ Ya"])
    kabid = await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid")
    assert "Jaringan berjalan normal" in kabid["text"] and "#K1" in kabid["text"]
    assert "Telkom Indihome" in kabid["text"] and "INC-7781" in kabid["text"]
    await until(lambda: stub.find(USER_ID, "selesai"), what="reporter told it is closed")

    # Step 10: the agenda and /lacak show it.
    stub.send_text(user, "/lacak 1")
    hist = await until(lambda: stub.find(USER_ID, "Riwayat keluhan #K1"), what="/lacak")
    assert "selesai" in hist["text"] and "Telkom Indihome" in hist["text"]
    stub.send_text(adb, "/agenda")
    agenda = await until(lambda: stub.find(ADB_ID, "Agenda Maintenance Jaringan"), what="agenda")
    assert "#K1" in agenda["text"] and "Selesai hari ini (1)" in agenda["text"]

    # Every message the bot sent is within Telegram's limit and tagged when about a complaint.
    for c in stub.calls_to("sendMessage") + stub.calls_to("editMessageText"):
        assert len(c.params["text"]) <= 4096
    for chat in (JF_CHAT, KABID_CHAT, ADB_ID, ADB2_ID):
        for m in stub.chat_messages(chat):
            if "Agenda" not in m["text"]:
                assert "#K1" in m["text"], m["text"]

    # Each SOP step that happened has its start and end in the timeline.
    await bot.stop()
    steps = rows(
        bot.settings.netmaint_db,
        "SELECT kind, step FROM timeline WHERE complaint_id=1"
        " AND kind IN ('step_start','step_end')",
    )
    for step in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11):
        assert ("step_start", step) in steps and ("step_end", step) in steps, step
    assert db_row(bot.settings.netmaint_db, "SELECT state FROM complaints WHERE id=1") == (
        "closed",
    )

    # The token is nowhere in the logs or the database (nor its WAL).
    assert caplog.text and stub.token.split(":")[1] not in caplog.text
    for f in bot.settings.netmaint_db.parent.glob("netmaint.db*"):
        assert stub.token.split(":")[1].encode() not in f.read_bytes()

    # The agenda can be read and exported from a terminal too.
    env = {**os.environ, "NETMAINT_DB": str(bot.settings.netmaint_db)}
    cwd = bot.settings.netmaint_db.parent
    text = subprocess.run(
        [sys.executable, "-m", "bot", "agenda", "--all"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "#K1" in text and "Selesai (1)" in text and "Rina" in text
    out = subprocess.run(
        [sys.executable, "-m", "bot", "agenda", "--all", "--csv"],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert out.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for spreadsheet programs"
    exported = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert len(exported) == 1
    row = exported[0]
    assert (row["No. Keluhan"], row["No. Gangguan"]) == ("K1", "I1")
    assert row["Status"] == "Selesai - Jaringan berjalan normal"
    assert row["Pihak Ketiga"] == "Telkom Indihome" and row["No. Tiket"] == "INC-7781"
    assert row["Petugas"] == "Andi ADB" and "Tidak" in row["Tindakan (Keputusan ADB)"]
