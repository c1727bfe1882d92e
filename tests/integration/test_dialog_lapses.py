"""A /lapor dialog left unanswered lapses: weeks later a thank-you is not a complaint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.render.views import Views
from bot.sop.queries import DIALOG_LAPSES, Queries
from bot.storage import Database
from tests.support.clock import FakeClock


async def test_an_unanswered_dialog_lapses_and_a_fresh_one_does_not(tmp_path: Path) -> None:
    clock, tz = FakeClock(datetime(2026, 12, 2, 1, 0, tzinfo=UTC)), ZoneInfo("Asia/Jakarta")
    async with Database(tmp_path / "n.db", clock=clock) as db:
        queries = Queries(db, Views("id", tz), tz)
        async with db.write() as tx:
            await tx.complaints.set_dialog(7001, 7001, "ask_text", "Kantor Dinas")
        clock.now += DIALOG_LAPSES - timedelta(seconds=1)
        open_ = await queries.dialog(7001)
        assert open_ is not None and open_.site == "Kantor Dinas"
        clock.now += timedelta(days=40)
        assert await queries.dialog(7001) is None
        async with db.write() as tx:  # /lapor again: a new dialog starts afresh
            await tx.complaints.set_dialog(7001, 7001, "ask_site", None)
        again = await queries.dialog(7001)
        assert again is not None and again.stage == "ask_site"
