"""The reporter's site (issue 18), end to end through the stand-in.

A one-line /lapor is filed at the site its text names, else the reporter's
``[[staff]] site``, else their last choice; still unknown, the bot asks once with the
site buttons and files when one is pressed. /catat asks the ADB the same way. A
complaint merged into an incident takes its site. The buttons carry the site's key,
so a config reordered between the question and the press records the right site.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import (
    OTHER_SITE,
    SITE_QUESTION,
    Bot,
    answer_site,
    db_row,
    file,
    rows,
    running,
    settled,
    until,
    wait_decision,
)
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, OTHER_ID, USER_ID

STAFF_ID = 7201  # Sari works at Kecamatan Lengayang, says the office's staff list
LENGAYANG = "Kecamatan Lengayang"
TARUSAN = "Kecamatan Koto XI Tarusan"
SITES = ("Kantor Dinas", TARUSAN, LENGAYANG)
STAFF = f"""
[[staff]]
telegram_id = {STAFF_ID}
name = "Sari Wulandari"
site = "{LENGAYANG}"
"""


def office(sites: tuple[str, ...] = SITES) -> OfficeConfig:
    listed = "".join(f'\n[[sites]]\nname = "{s}"\n' for s in sites)
    return parse_config(FAST_CHECKS_TOML + listed + STAFF, "site.toml", model=OfficeConfig)


@pytest.fixture
def config() -> OfficeConfig:
    return office()


def site_of(bot: Bot, cid: int) -> str | None:
    site: str | None = db_row(
        bot.settings.netmaint_db, "SELECT site FROM complaints WHERE id=?", cid
    )[0]
    return site


def questions(stub: BotApiStub, chat: int) -> int:
    """How many site questions were sent to ``chat`` (an answered one is edited)."""
    sent = stub.calls_to("sendMessage")
    return len(
        [c for c in sent if c.params["chat_id"] == chat and SITE_QUESTION in c.params["text"]]
    )


def complaints(db: Path) -> int:
    return int(db_row(db, "SELECT COUNT(*) FROM complaints")[0])


async def ack_of(stub: BotApiStub, chat: int, tag: str) -> str:
    found = await until(lambda: stub.find(chat, f"{tag} diterima"), what=f"the ack of {tag}")
    return str(found["text"])


async def test_staff_site_files_without_asking_and_says_where(stub: BotApiStub, bot: Bot) -> None:
    sari = stub.user(STAFF_ID, "Sari")
    stub.send_text(sari, "/lapor internet mati sejak pagi")
    ack = await ack_of(stub, STAFF_ID, "#K1")
    assert f"Lokasi: {LENGAYANG} (lokasi Anda menurut daftar staf)" in ack
    assert site_of(bot, 1) == LENGAYANG
    assert not stub.find(STAFF_ID, SITE_QUESTION)
    # The guided /lapor asks only the text, and says which site it took.
    stub.send_text(sari, "/lapor")
    ask = await until(lambda: stub.find(STAFF_ID, "Jelaskan gangguannya"), what="text question")
    assert f"Lokasi: {LENGAYANG}" in ask["text"]
    stub.send_text(sari, "printer jaringan juga tidak bisa")
    await ack_of(stub, STAFF_ID, "#K2")
    assert site_of(bot, 2) == LENGAYANG
    assert not stub.find(STAFF_ID, SITE_QUESTION)


async def test_a_site_named_in_the_text_wins(stub: BotApiStub, bot: Bot) -> None:
    sari = stub.user(STAFF_ID, "Sari")  # her staff site is another one
    stub.send_text(sari, "/lapor jaringan di kecamatan koto xi tarusan mati")
    ack = await ack_of(stub, STAFF_ID, "#K1")
    assert f"Lokasi: {TARUSAN} (disebut dalam keluhan)" in ack
    assert site_of(bot, 1) == TARUSAN
    filed = db_row(bot.settings.netmaint_db, "SELECT detail FROM timeline WHERE kind='filed'")
    assert '"site_from": "text"' in filed[0]


async def test_asked_once_then_filed_and_the_last_choice_is_remembered(
    stub: BotApiStub, bot: Bot
) -> None:
    rina = stub.user(USER_ID, "Rina")
    db = bot.settings.netmaint_db
    stub.send_text(rina, "/lapor SIAK tidak bisa dibuka di loket 2")
    ask = await until(lambda: stub.find(USER_ID, SITE_QUESTION), what="the site question")
    assert "Keluhan: SIAK tidak bisa dibuka di loket 2" in ask["text"]
    assert set(stub.buttons(ask)) == {*SITES, OTHER_SITE, "Batal"}
    await settled(db)
    assert complaints(db) == 0, "nothing filed before the site is known"

    answered = await answer_site(stub, rina, TARUSAN)
    assert f"Lokasi: {TARUSAN}" in answered["text"], "the question shows the choice"
    ack = await ack_of(stub, USER_ID, "#K1")
    assert f"Lokasi: {TARUSAN}" in ack and "(" not in ack.split("Lokasi:")[1].split("\n")[0]
    assert (site_of(bot, 1), complaints(db)) == (TARUSAN, 1)
    text = db_row(db, "SELECT text, channel FROM complaints WHERE id=1")
    assert text == ("SIAK tidak bisa dibuka di loket 2", "chat")
    # The same button again files nothing: the dialog is over.
    q = stub.press(rina, USER_ID, ask["message_id"], stub.buttons(ask)[TARUSAN])
    answer = await until(lambda: stub.answers.get(q), what="the stale press answered")
    assert "Tidak ada yang diubah" in answer["text"]

    # Next time the last choice is used, and the ack says so.
    stub.send_text(rina, "/lapor printer jaringan mati")
    ack2 = await ack_of(stub, USER_ID, "#K2")
    assert f"Lokasi: {TARUSAN} (lokasi laporan Anda sebelumnya)" in ack2
    assert questions(stub, USER_ID) == 1


async def test_other_files_without_a_site(stub: BotApiStub, bot: Bot) -> None:
    tag = await file(stub, stub.user(OTHER_ID, "Budi"), "wifi putus")  # presses "Lainnya"
    assert "Lokasi: -" in await ack_of(stub, OTHER_ID, tag)
    assert site_of(bot, 1) is None


async def test_catat_asks_the_adb_for_the_site(stub: BotApiStub, bot: Bot) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    db = bot.settings.netmaint_db
    stub.send_text(adb, "/catat Pak Budi: jaringan putus sejak pagi")
    ask = await until(lambda: stub.find(ADB_ID, SITE_QUESTION), what="the site question")
    assert "atas nama Pak Budi" in ask["text"]
    await settled(db)
    assert complaints(db) == 0
    await answer_site(stub, adb, LENGAYANG, chat=ADB_ID)
    ack = await ack_of(stub, ADB_ID, "#K1")
    assert "Dicatat atas nama Pak Budi" in ack and f"Lokasi: {LENGAYANG}" in ack
    row = db_row(db, "SELECT reporter_name, filed_by_id, channel, site, text FROM complaints")
    assert row == ("Pak Budi", ADB_ID, "catat", LENGAYANG, "jaringan putus sejak pagi")
    # A /catat naming the site is filed at once.
    stub.send_text(adb, "/catat Bu Ani: internet Kantor Dinas mati")
    await ack_of(stub, ADB_ID, "#K2")
    assert site_of(bot, 2) == "Kantor Dinas"
    assert questions(stub, ADB_ID) == 1


async def test_a_merged_complaint_takes_the_incidents_site(stub: BotApiStub, bot: Bot) -> None:
    adb = stub.user(ADB_ID, "Andi ADB")
    await file(stub, stub.user(STAFF_ID, "Sari"), "internet mati")  # #I1 at Lengayang
    await file(stub, stub.user(OTHER_ID, "Budi"), "internet juga mati")  # "Lainnya": #I2
    await wait_decision(stub, "#K2")
    assert site_of(bot, 2) is None
    stub.send_text(adb, "/gabung 1 2")
    await until(lambda: stub.find(ADB_ID, "digabung ke #I1"), what="the merge confirmed")
    assert site_of(bot, 2) == LENGAYANG
    stub.send_text(adb, "/lacak 2")
    hist = await until(lambda: stub.find(ADB_ID, "Riwayat keluhan #K2"), what="history")
    assert f"Lokasi: {LENGAYANG}" in hist["text"]
    assert f"#I2 digabung ke #I1 · lokasi: {LENGAYANG}" in hist["text"]
    on_site = rows(bot.settings.netmaint_db, "SELECT id FROM complaints WHERE site=?", LENGAYANG)
    assert on_site == [(1,), (2,)], "agenda --site and the rekap list both"


async def test_a_reordered_config_records_the_pressed_site(
    stub: BotApiStub, settings: Settings
) -> None:
    rina = stub.user(USER_ID, "Rina")
    async with running(Bot(settings, office())) as bot:
        stub.send_text(rina, "/lapor jaringan mati")
        ask = await until(lambda: stub.find(USER_ID, SITE_QUESTION), what="the site question")
        await settled(settings.netmaint_db)
    # The office inserts a site first and reverses the list: every position changes.
    shuffled = office(("Kecamatan Bayang", *reversed(SITES)))
    async with running(Bot(settings, shuffled)) as bot:
        q = stub.press(rina, USER_ID, ask["message_id"], "lap 0 0badc0de")  # no site's key
        answer = await until(lambda: stub.answers.get(q), what="the unknown key answered")
        assert "Tidak ada yang diubah" in answer["text"]
        await settled(settings.netmaint_db)
        assert complaints(settings.netmaint_db) == 0
        stub.press(rina, USER_ID, ask["message_id"], stub.buttons(ask)[TARUSAN])
        await ack_of(stub, USER_ID, "#K1")
        assert site_of(bot, 1) == TARUSAN
