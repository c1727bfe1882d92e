"""The SOP's services on a real SQLite file, without Telegram: for workflow-level tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Collection
from contextlib import asynccontextmanager
from pathlib import Path

from bot.agents import OnResult, agent_lookup
from bot.domain.clock import Clock, utc_now
from bot.domain.outcomes import Outcome, Refused
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.storage import Database
from checks.models import CheckResult, Report, Status
from tests.support.office import make_settings


@asynccontextmanager
async def sop_services(
    path: Path, config: OfficeConfig, clock: Clock = utc_now
) -> AsyncIterator[Services]:
    """Open the database at ``path`` and wire the services as the bot does."""
    async with Database(path, clock) as db:
        services = build_services(
            make_settings(path), config, db, agent_for=agent_lookup(config, {}), clock=clock
        )
        try:
            yield services
        finally:
            await services.diagnoses.stop()


class InstantAgent:
    """Answers every diagnosis at once: step 2 passed.

    For tests whose subject is not the checks: an in-process stand-in for ``bot.agents``.
    """

    name = "instant"

    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock  # a FakeClock puts the checks' times on the test's timeline

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report:
        now = self.clock()
        result = CheckResult(
            step=2, name="software", status=Status.OK, summary="ok", started_at=now, duration_s=0.01
        )
        if on_result is not None:
            await on_result(result)
        return Report(
            host="test", started_at=now, duration_s=0.01, results=(result,), verdict=Status.OK
        )


async def outcome(operation: Awaitable[object]) -> Outcome:
    """What an SOP operation answered: ``OK``, or the outcome it was refused with."""
    try:
        result = await operation
    except Refused as refusal:
        return refusal.outcome
    return result if isinstance(result, Outcome) else Outcome.OK
