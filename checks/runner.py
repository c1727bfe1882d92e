"""Run the SOP's diagnostic steps 2-6 concurrently and gather one ``Report``.

The bot shows each step as it finishes (``on_result``), so a slow step does
not hide the fast ones. A check that crashes becomes that step's ERROR
result; the run itself never raises for a failed probe. A cancelled run
cancels every step still running: no probe outlives the request it was for.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime

from checks.config import CheckConfig
from checks.hardware import check_hardware
from checks.ipconfig import check_ipconfig
from checks.models import CheckResult, Finding, Report, Status, worst
from checks.ping import check_ping
from checks.services import check_services
from checks.software import check_software
from checks.steps import CHECK_STEPS, STEP_NAMES

log = logging.getLogger(__name__)

Check = Callable[[CheckConfig], Awaitable[CheckResult]]

# SOP step number (checks.steps) -> its check
CHECKS: dict[int, Check] = {
    2: check_software,
    3: check_ipconfig,
    4: check_ping,
    5: check_services,
    6: check_hardware,
}
# A step that takes longer than this is stuck (a hung NFS mount, a hung systemctl);
# the slowest legal ping config (20 echoes 5 s apart, 10 s timeout) takes 105 s.
STEP_TIMEOUT_S = 180.0


async def _guarded(step: int, config: CheckConfig) -> CheckResult:
    """Run one check; any exception or hang becomes an ERROR result naming its type."""
    name, check = STEP_NAMES[step], CHECKS[step]
    started, t0 = datetime.now(UTC), time.perf_counter()
    try:
        async with asyncio.timeout(STEP_TIMEOUT_S):
            return await check(config)
    except Exception as exc:
        log.exception("SOP step %d (%s) failed", step, name)
        kind = type(exc).__name__
        return CheckResult(
            step=step,
            name=name,
            status=Status.ERROR,
            summary=f"check failed: {kind}: {exc}",
            findings=(
                Finding(
                    code="check.error",
                    severity=Status.ERROR,
                    params={"step": step, "exception": kind},
                ),
            ),
            details={"exception": kind, "message": str(exc)},
            started_at=started,
            duration_s=time.perf_counter() - t0,
        )


async def run_sop_checks(
    config: CheckConfig,
    steps: Collection[int] | None = None,
    on_result: Callable[[CheckResult], Awaitable[None]] | None = None,
) -> Report:
    """Run the chosen steps (default 2-6) at once; call ``on_result`` as each one ends."""
    chosen = sorted(set(steps) if steps is not None else CHECK_STEPS)
    unknown = [s for s in chosen if s not in CHECK_STEPS]
    if unknown:
        first, last = CHECK_STEPS[0], CHECK_STEPS[-1]
        raise ValueError(f"unknown SOP step(s) {unknown}; diagnostic steps are {first}-{last}")
    started, t0 = datetime.now(UTC), time.perf_counter()
    results: list[CheckResult] = []
    running = [asyncio.ensure_future(_guarded(s, config)) for s in chosen]
    try:
        for next_done in asyncio.as_completed(running):
            result = await next_done
            results.append(result)
            if on_result is not None:
                try:
                    await on_result(result)
                except Exception:
                    log.exception("on_result callback failed for step %d", result.step)
    finally:  # a run cancelled (its client left, a stop) stops its probes too
        for step in running:
            step.cancel()
    results.sort(key=lambda r: r.step)
    return Report(
        host=socket.gethostname(),
        started_at=started,
        duration_s=time.perf_counter() - t0,
        results=tuple(results),
        verdict=worst([r.status for r in results]),
    )
