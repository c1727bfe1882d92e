"""A full office day through every role's chat, written out as one transcript.

The test plays a day: a guided /lapor at the Dinas, a storm at a kecamatan, Tidak,
the JF ADB calling the vendor and recording the ticket, the repair, Ya, a phoned-in
complaint (/catat), one closed as not a network fault (/tutup), the ADB's note, and
/agenda, /lacak, /status in each role's chat. Every message each chat holds at the
end goes into one transcript, by chat and in order, for a person to read start to
end (set NETMAINT_TRANSCRIPT=path to keep it). The assertions are what any reader
would catch at once: code in the words, a message over Telegram's limit, a role that
heard nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, settled, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT, USER_ID

KECAMATAN = range(7400, 7404)
JF_PERSON = 9100
# What only code says: Python's None/True/False, stored state and purpose names, English
# check words, template syntax.
RAW = re.compile(
    r"\bNone\b|\bTrue\b|\bFalse\b|awaiting_decision|\bdiagnosing\b|\bescalated\b"
    r"|_report\b|\bunavailable\b|\{\{|\}\}|\{%|Traceback"
)


def transcript(stub: BotApiStub, chats: dict[str, int]) -> str:
    parts = []
    for title, chat in chats.items():
        parts.append(f"===== {title} (chat {chat}) =====")
        for m in stub.chat_messages(chat):
            buttons = " | ".join(stub.buttons(m))
            parts.append(m["text"] + (f"\n  [tombol: {buttons}]" if buttons else ""))
            parts.append("-----")
    return "\n".join(parts) + "\n"


async def test_a_whole_day_reads_as_plain_indonesian_in_every_chat(
    stub: BotApiStub, bot: Bot, tmp_path: Path
) -> None:
    rina, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    jf = stub.user(JF_PERSON, "Joko JF")

    # Morning: a guided /lapor at the Dinas.
    stub.send_text(rina, "/start")
    stub.send_text(rina, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.press(rina, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(rina, "SIAK tidak bisa dibuka di loket 2 sejak pagi")
    first = await wait_decision(stub, "#K1")
    stub.press(adb, ADB_ID, first["message_id"], stub.buttons(first)["❌ Tidak"])
    report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF report")

    # The JF ADB calls the vendor, records the ticket; the vendor repairs; Ya.
    stub.press(jf, JF_CHAT, report["message_id"], stub.buttons(report)["📞 Hubungi pihak ke tiga"])
    vendors = await until(lambda: stub.find(JF_CHAT, "Telkom Indihome"), what="vendor list")
    stub.press(
        jf,
        JF_CHAT,
        vendors["message_id"],
        stub.buttons(vendors)["📞 Sudah dihubungi: Telkom Indihome"],
    )
    await until(lambda: stub.find(JF_CHAT, "dihubungi oleh Joko JF"), what="call recorded")
    stub.send_text(jf, "/tiket 1 INC-7781", chat_id=JF_CHAT)
    await until(lambda: stub.find(JF_CHAT, "INC-7781"), what="ticket recorded")
    stub.press(jf, JF_CHAT, report["message_id"], stub.buttons(report)["🔧 Sudah diperbaiki"])
    again = await wait_decision(stub, "#K1", round_=2)
    stub.press(adb, ADB_ID, again["message_id"], stub.buttons(again)["✅ Ya"])
    await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid report")

    # Midday: a storm at a kecamatan, a phoned-in complaint, one that is no fault at all.
    for n, uid in enumerate(KECAMATAN):
        stub.send_text(stub.user(uid, f"Staf Tarusan {n}"), "/lapor")
        ask = await until(lambda u=uid: stub.find(u, "Di lokasi/unit mana"), what="site question")
        stub.press(
            stub.user(uid, f"Staf Tarusan {n}"),
            uid,
            ask["message_id"],
            stub.buttons(ask)["Kecamatan Koto XI Tarusan"],
        )
        await until(lambda u=uid: stub.find(u, "Jelaskan gangguannya"), what="text question")
        stub.send_text(stub.user(uid, f"Staf Tarusan {n}"), f"Aplikasi SIAK putus di meja {n}")
    storm = await wait_decision(stub, "#I2", everything="#K5")
    stub.send_text(adb, "/catat Bu Sari: printer KTP-el di loket 1 Kantor Dinas tidak tersambung")
    await until(lambda: stub.find(ADB_ID, "Dicatat atas nama"), what="catat ack")
    stub.press(adb, ADB_ID, storm["message_id"], stub.buttons(storm)["✅ Ya"])
    await until(lambda: stub.find(KECAMATAN[0], "selesai"), what="storm reporters told")
    stub.send_text(adb, "/catatan 2 Router kecamatan hang, dinyalakan ulang oleh operator")
    stub.send_text(adb, "/tutup 6 printer, bukan gangguan jaringan")
    await until(
        lambda: stub.find(ADB_ID, "#K6") and "ditutup" in str(stub.texts(ADB_ID)), what="/tutup"
    )

    # Afternoon: everyone looks.
    stub.send_text(rina, "/lacak 1")
    stub.send_text(adb, "/agenda")
    stub.send_text(adb, "/status")
    stub.send_text(jf, "/agenda", chat_id=JF_CHAT)
    await until(lambda: stub.find(USER_ID, "Riwayat keluhan #K1"), what="/lacak")
    await until(lambda: stub.find(JF_CHAT, "Agenda Maintenance Jaringan"), what="JF agenda")
    await until(lambda: stub.find(ADB_ID, "Status jaringan"), what="/status")
    await settled(bot.settings.netmaint_db)

    chats = {
        "Pelapor Rina (Kantor Dinas)": USER_ID,
        **{f"Pelapor Tarusan {n}": uid for n, uid in enumerate(KECAMATAN)},
        "ADB Andi": ADB_ID,
        "ADB kedua": ADB2_ID,
        "Grup JF ADB": JF_CHAT,
        "Grup Kabid": KABID_CHAT,
    }
    text = transcript(stub, chats)
    Path(os.environ.get("NETMAINT_TRANSCRIPT") or tmp_path / "hari.txt").write_text(
        text, encoding="utf-8"
    )
    for title, chat in chats.items():
        assert stub.chat_messages(chat), f"{title} heard nothing all day"
    for title, chat in (("JF ADB", JF_CHAT), ("Kabid", KABID_CHAT)):
        for report in stub.chat_messages(chat):
            if "LAPORAN" in report["text"]:  # the report is its own step: not "running"
                running = [ln for ln in report["text"].splitlines() if "sedang berlangsung" in ln]
                assert not any("Melaporkan ke" in ln for ln in running), (title, running)
                assert "laporan ini" in report["text"], title
    for chat in chats.values():
        for m in stub.chat_messages(chat):
            assert len(m["text"]) <= 4096
            assert not RAW.search(m["text"]), m["text"]
            # Each listed complaint starts its own line (a template once glued the first
            # one to the tag line: "#K5• #K2 · ...").
            assert not re.search(r"[^\n]• #K", m["text"]), m["text"]
