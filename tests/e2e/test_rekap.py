"""/rekap on the Bot API stand-in, and the monthly recap the bot sends by itself, once."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime

from pypdf import PdfReader

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.storage import Database
from bot.telegram.runtime import run_bot
from tests.support.botapi_stub import BotApiStub
from tests.support.clock import FakeClock
from tests.support.documents import seed
from tests.support.e2e import FAST_OUTBOX, Bot, rows, running, settled, until
from tests.support.office import ADB_ID, KABID_CHAT, USER_ID


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


async def test_rekap_gives_staff_the_pdf_and_reporters_a_polite_no(
    stub: BotApiStub, bot: Bot
) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    stub.send_text(user, "/rekap")
    refusal = await until(
        lambda: stub.find(USER_ID, "rekapitulasi bulanan hanya untuk"), what="the refusal"
    )
    assert "Mohon maaf" in refusal["text"] and not stub.documents

    stub.send_text(adb, "/rekap November 2026")
    await until(lambda: stub.documents, 60, "the recap document")
    chat, name, data = stub.documents[0]
    assert (chat, name) == (ADB_ID, "rekap-2026-11.pdf") and data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "REKAPITULASI PENANGANAN GANGGUAN JARINGAN" in text and "November 2026" in text
    sent = stub.calls_to("sendDocument")[0].params
    assert "Rekapitulasi Penanganan Gangguan Jaringan — November 2026" in sent["caption"]
    await until(lambda: stub.find(ADB_ID, "sedang disusun"), what="the wait notice")

    stub.send_text(adb, "/rekap bulan depan")
    await until(lambda: stub.find(ADB_ID, "Bulan tidak dikenali"), what="usage")
    await settled(bot.settings.netmaint_db)
    assert len(stub.documents) == 1


async def test_agenda_with_a_month_and_a_site_is_the_buku_agenda_for_staff(
    stub: BotApiStub, bot: Bot
) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    for text in ("/lapor internet Kantor Dinas mati di loket 1", "/lapor internet mati di loket 2"):
        stub.send_text(user, text)
    await until(
        lambda: len(rows(bot.settings.netmaint_db, "SELECT 1 FROM complaints")) == 2,
        what="two complaints",
    )
    month = datetime.now(UTC).strftime("%Y-%m")
    stub.send_text(user, f"/agenda {month}")
    await until(lambda: stub.find(USER_ID, "hanya untuk ADB, JF ADB dan Kabid"), what="refusal")
    stub.send_text(adb, f"/agenda {month}")
    await until(lambda: stub.documents, 60, "the agenda document")
    chat, name, data = stub.documents[0]
    assert (chat, name) == (ADB_ID, f"agenda-{month}.pdf")
    text = pdf_text(data)
    assert "loket 1" in text and "loket 2" in text
    stub.send_text(adb, f"/agenda {month} Kecamatan Bayang")  # no complaint from there
    await until(lambda: len(stub.documents) == 2, 60, "the site's agenda")
    assert "loket 1" not in pdf_text(stub.documents[1][2])
    assert "Kecamatan Bayang" in stub.calls_to("sendDocument")[1].params["caption"]
    stub.send_text(adb, "/agenda kemarin dulu")
    await until(lambda: stub.find(ADB_ID, "Bulan tidak dikenali"), what="usage")


async def start(
    settings: Settings, config: OfficeConfig, clock: Callable[[], datetime]
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(settings, config, stop, ready=ready, clock=clock, sender_options=FAST_OUTBOX)
    )
    await asyncio.wait_for(ready.wait(), 15)
    return stop, task


async def test_the_monthly_recap_goes_to_the_kabid_once_across_restarts(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    async with Database(settings.netmaint_db) as db:
        await seed(db, [(2026, 11)], 12)
    # Monday 30 November: not yet. Tuesday 1 December 07:00 in Painan: before opening.
    clock = FakeClock(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    stop, task = await start(settings, config, clock)
    await settled(settings.netmaint_db)
    stop.set()
    await asyncio.wait_for(task, 20)
    # Time passes while the bot is down (moved while it runs, it is a step of the clock,
    # and a recap waits a day after one: bot/sop/monthly.py).
    clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    stop, task = await start(settings, config, clock)
    await settled(settings.netmaint_db)
    assert stub.documents == []

    # 08:00 on the first working day: last month's recap, to the Kabid group.
    stop.set()
    await asyncio.wait_for(task, 20)
    clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    stop, task = await start(settings, config, clock)
    await until(
        lambda: rows(
            settings.netmaint_db,
            "SELECT 1 FROM monthly_reports WHERE month='2026-11' AND sent_at IS NOT NULL",
        ),
        60,
        "the monthly recap sent and recorded",
    )
    chat, name, data = stub.documents[0]
    assert (chat, name) == (KABID_CHAT, "rekap-2026-11.pdf")
    assert "Painan, 1 Desember 2026" in pdf_text(data)
    assert "otomatis" in stub.calls_to("sendDocument")[0].params["caption"]

    # Restarted later the same day and the next: nothing more.
    for later in (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), datetime(2026, 12, 2, 1, 0, tzinfo=UTC)):
        stop.set()
        await asyncio.wait_for(task, 20)
        clock.now = later
        stop, task = await start(settings, config, clock)
        await settled(settings.netmaint_db)
        await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 20)
    assert len(stub.documents) == 1


async def test_a_complaint_sent_while_a_document_is_made_is_not_kept_waiting(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    """The document is laid out beside the update loop: a /lapor sent right after
    /rekap of a busy month is acknowledged before the PDF is ready."""
    async with Database(settings.netmaint_db) as db:
        await seed(db, [(2026, 11)], 800)
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    async with running(Bot(settings, config)):
        stub.send_text(adb, "/rekap November 2026")
        stub.send_text(user, "/lapor internet Kantor Dinas mati di loket 3")
        await until(lambda: stub.documents, 60, "the recap document")
        await until(lambda: stub.find(USER_ID, "diterima"), what="the acknowledgement")
    order = [
        c.method
        for c in stub.calls
        if c.method == "sendDocument"
        or (c.method == "sendMessage" and c.params.get("chat_id") == USER_ID)
    ]
    assert order.index("sendMessage") < order.index("sendDocument"), order
