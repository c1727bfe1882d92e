"""The SOP's services on a real SQLite file, without Telegram: for workflow-level tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.agents import agent_lookup
from bot.domain.clock import Clock, utc_now
from bot.domain.outcomes import Outcome, Refused
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.storage import Database
from tests.e2e.conftest import make_settings


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


async def outcome(operation: Awaitable[object]) -> Outcome:
    """What an SOP operation answered: ``OK``, or the outcome it was refused with."""
    try:
        await operation
    except Refused as refusal:
        return refusal.outcome
    return Outcome.OK
