"""Outage storms end to end: the real bot over HTTP, many reporters about one outage.

Twenty complaints in a burst make one incident: one diagnosis, one prompt listing all
twenty, one decision, one report, and every reporter told. The ADB can take a
complaint out and merge incidents with commands; a restart in the middle of a storm
loses and doubles nothing.
"""

from __future__ import annotations

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, rows, settled, until, wait_decision
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT

REPORTERS = range(7100, 7120)


def _burst(stub: BotApiStub, users: range, first: int = 0) -> str:
    """Every user files at once; returns the tags the complaints will have, in order."""
    for n, uid in enumerate(users):
        stub.send_text(
            stub.user(uid, f"Pelapor {n}"), f"/lapor internet loket {n} Kantor Dinas mati"
        )
    return " ".join(f"#K{first + n + 1}" for n in range(len(users)))


def _reports(stub: BotApiStub, chat: int, title: str) -> list[dict]:
    return [m for m in stub.chat_messages(chat) if title in m["text"]]


async def test_twenty_complaints_one_prompt_one_decision_everyone_told(
    stub: BotApiStub, bot: Bot
) -> None:
    tags = _burst(stub, REPORTERS)
    prompt = await wait_decision(stub, "#I1", everything=tags)
    await wait_decision(stub, "#I1", everything=tags, chat=ADB2_ID)
    for uid in REPORTERS:  # each has its own number
        await until(lambda u=uid: [t for t in stub.texts(u) if "diterima" in t], what="ack")
    adb = [m for m in stub.chat_messages(ADB_ID) if "Diagnosis" in m["text"]]
    assert len(adb) == 1, "one prompt in the ADB's chat, edited as complaints joined"

    stub.press(
        stub.user(ADB_ID, "Andi ADB"), ADB_ID, prompt["message_id"], stub.buttons(prompt)["✅ Ya"]
    )
    for uid in REPORTERS:
        await until(lambda u=uid: [t for t in stub.texts(u) if "selesai" in t], what="told")
    await settled(bot.settings.netmaint_db)
    kabid = _reports(stub, KABID_CHAT, "Melaporkan ke Kabid")
    assert len(kabid) == 1 and all(t in kabid[0]["text"] for t in tags.split()[:5])
    assert "20 keluhan" in kabid[0]["text"]
    for uid in REPORTERS:
        assert len([t for t in stub.texts(uid) if "selesai" in t]) == 1, "told once"
    assert rows(bot.settings.netmaint_db, "SELECT COUNT(*) FROM incidents") == [(1,)]
    assert rows(bot.settings.netmaint_db, "SELECT DISTINCT state FROM complaints") == [("closed",)]


async def test_tidak_sends_one_jf_adb_report_for_the_whole_storm(
    stub: BotApiStub, bot: Bot
) -> None:
    tags = _burst(stub, range(7200, 7205))
    prompt = await wait_decision(stub, "#I1", everything=tags)
    stub.press(
        stub.user(ADB_ID, "Andi ADB"),
        ADB_ID,
        prompt["message_id"],
        stub.buttons(prompt)["❌ Tidak"],
    )
    await until(lambda: _reports(stub, JF_CHAT, "Melaporkan ke JF ADB"), what="JF ADB report")
    await settled(bot.settings.netmaint_db)
    [report] = _reports(stub, JF_CHAT, "Melaporkan ke JF ADB")
    assert tags in report["text"] and stub.buttons(report)
    for uid in range(7200, 7205):
        assert [t for t in stub.texts(uid) if "sedang ditangani" in t]


async def test_the_adb_splits_a_complaint_out_and_merges_incidents(
    stub: BotApiStub, bot: Bot
) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    tags = _burst(stub, range(7300, 7303))
    await wait_decision(stub, "#I1", everything=tags)

    stub.send_text(adb, "/pisah 2")
    alone = await wait_decision(stub, "#K2")  # its own diagnosis and prompt
    assert "#I2" in alone["text"]
    await until(
        lambda: stub.find(ADB_ID, "dipisahkan menjadi gangguan tersendiri"),
        what="the split confirmed",
    )
    rest = await wait_decision(stub, "#I1", everything="#K1 #K3")
    assert "#K2" not in rest["text"]

    stub.send_text(adb, "/gabung 1 2")
    await until(lambda: stub.find(ADB_ID, "digabung ke #I1"), what="the merge confirmed")
    await wait_decision(stub, "#I1", everything="#K1 #K2 #K3")
    await until(
        lambda: [
            m
            for m in stub.chat_messages(ADB_ID)
            if "Digabung ke gangguan #I1" in m["text"] and not stub.buttons(m)
        ],
        what="the merged prompt without buttons",
    )
    stub.send_text(stub.user(7300, "Pelapor 0"), "/pisah 1")
    await until(lambda: stub.find(7300, "hanya untuk"), what="a reporter refused")
    audit = rows(bot.settings.netmaint_db, "SELECT outcome, what FROM audit ORDER BY id")
    assert audit[:2] == [("split", "/pisah 2"), ("merged", "/gabung 1 2")]
    assert audit[2][0] == "refused"


async def test_a_restart_in_the_middle_of_a_storm(stub: BotApiStub, bot: Bot) -> None:
    first = _burst(stub, range(7400, 7410))
    await until(
        lambda: len(rows(bot.settings.netmaint_db, "SELECT 1 FROM complaints")) >= 3,
        what="the storm to begin",
    )
    await bot.restart()
    second = _burst(stub, range(7410, 7420), first=10)
    prompt = await wait_decision(stub, "#I1", everything=f"{first} {second}")
    assert prompt
    db = bot.settings.netmaint_db
    await settled(db)
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT source_update_id) FROM complaints") == [
        (20, 20)
    ]
    assert rows(db, "SELECT COUNT(*) FROM incidents") == [(1,)]
    for uid in range(7400, 7420):
        assert len([t for t in stub.texts(uid) if "diterima" in t]) == 1
