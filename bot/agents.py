"""Where the diagnostics run: in this process, or on a site's agent over HTTPS.

The bot asks an ``AgentClient`` for a report and never cares which kind it
has. ``LocalAgent`` is the embedded default; remote agents come from the
``[[sites]]`` entries of the TOML config.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

from checks.config import NetmaintConfig
from checks.models import CheckResult, Report

OnResult = Callable[[CheckResult], Awaitable[None]]


class AgentClient(Protocol):
    """Runs SOP steps 2-6 somewhere and returns the report."""

    name: str

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report: ...


class LocalAgent:
    """Runs the checks in the bot's own process (no agent configured)."""

    name = "local"

    def __init__(self, config: NetmaintConfig) -> None:
        self._config = config

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report:
        from checks.runner import run_sop_checks

        return await run_sop_checks(self._config, steps=steps, on_result=on_result)


def agent_for_site(config: NetmaintConfig, site: str | None) -> AgentClient:
    """The agent that diagnoses complaints about ``site`` (local when none is configured)."""
    return LocalAgent(config)
