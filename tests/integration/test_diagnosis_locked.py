"""Issue 19: a diagnosis that ends while another program locks the database is kept.

Real SOP services on a real SQLite file, with SQLite's busy timeout lowered to
0.2 s; another connection (a backup, an sqlite3 shell) holds the write lock
while the diagnosis ends, well past that timeout. The agent is an in-process
stand-in that finishes when the test says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.agents import OnResult
from bot.domain.model import Actor
from bot.services import build_services
from bot.settings.office import OfficeConfig
from bot.storage import Database
from bot.storage.locked import patiently
from checks.config import parse_config
from checks.models import CheckResult, Report, Status
from tests.support.clock import FakeClock
from tests.support.e2e import until
from tests.support.office import SITES_TOML, make_settings

BUSY_TIMEOUT_S = 0.2


class HeldAgent:
    """Finishes its diagnosis (step 2 passed) only once ``finish`` is set."""

    name = "held"

    def __init__(self) -> None:
        self.finish = asyncio.Event()

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report:
        await self.finish.wait()
        now = datetime.now(UTC)
        result = CheckResult(
            step=2, name="software", status=Status.OK, summary="ok", started_at=now, duration_s=1.5
        )
        if on_result is not None:
            await on_result(result)
        return Report(
            host="server", started_at=now, duration_s=1.5, results=(result,), verdict=Status.OK
        )


async def test_a_diagnosis_finished_under_a_long_lock_is_stored_and_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path = tmp_path / "n.db"
    clock = FakeClock()
    agent = HeldAgent()
    config = parse_config(SITES_TOML, model=OfficeConfig)
    async with Database(path, clock, busy_timeout_s=BUSY_TIMEOUT_S) as db:
        s = build_services(make_settings(path), config, db, agent_for=lambda _: agent, clock=clock)
        try:
            reporter = Actor(7001, "Rina")
            cid = await s.workflow.file(
                reporter=reporter,
                reporter_chat_id=reporter.id,
                channel="chat",
                site="Kantor Dinas",
                text="jaringan mati",
            )
            assert cid is not None
            other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:  # another program takes the write lock, then the checks end
                await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
                agent.finish.set()
                await until(
                    lambda: [r for r in caplog.records if "locked by another program" in r.message],
                    what="the bot saying the database is locked",
                )
            finally:
                await asyncio.to_thread(other.execute, "COMMIT")
                other.close()
            async with asyncio.timeout(30):
                await s.diagnoses.idle()
        finally:
            await s.diagnoses.stop()
        states = await db.connection.execute_fetchall("SELECT state FROM incidents", ())
        checks = await db.connection.execute_fetchall(
            "SELECT step FROM incident_checks WHERE incident_id=1 AND round=1", ()
        )
        prompts = list(
            await db.connection.execute_fetchall(
                "SELECT payload FROM outbox WHERE purpose='diagnosis:1' AND method='sendMessage'",
                (),
            )
        )
    assert [tuple(r) for r in states] == [("awaiting_decision",)]
    assert [tuple(r) for r in checks] == [(2,)], "the finished step is stored"
    assert len(prompts) == 2, "the prompt in each ADB's chat"
    for (payload,) in prompts:
        prompt = json.loads(payload)
        text = prompt["text"]
        assert "✅ <b>2. Melakukan pemeriksaan secara software</b>" in text
        assert "selesai dalam 1,5 detik" in text
        assert "Apakah jaringan sudah bisa berfungsi dengan baik ?" in text
        assert "tidak dapat dijalankan" not in text
        assert prompt["reply_markup"], "the Ya/Tidak buttons are under it"


async def test_patience_has_an_end_and_then_the_error_is_raised() -> None:
    """A bound of 0 s: the first "locked" is raised, not waited for, and said in the log."""
    tries = 0

    async def write() -> None:
        nonlocal tries
        tries += 1
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await patiently("storing a test row", write, give_up_after_s=0)
    assert tries == 1
