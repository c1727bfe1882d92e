"""SOP step 2, "Melakukan pemeriksaan secara software": the database and apps answer.

The SOP's output is "TOAD on": the operator can reach the SIAK Oracle
database. Here that is a TCP connect to each ``[[services]]`` entry marked
``software = true`` (the Oracle listener on 1521, the SIAK web port).
"""

from __future__ import annotations

from checks.config import CheckConfig
from checks.models import CheckResult, Finding, Status
from checks.result import StepTimer
from checks.tcp import check_tcp_services

STEP = 2


async def check_software(config: CheckConfig) -> CheckResult:
    """Connect to every software service; one finding per service that does not accept."""
    timer = StepTimer(STEP)
    services = [s for s in config.services if s.software]
    if not services:
        f = Finding(code="software.not_configured", severity=Status.UNAVAILABLE)
        return timer.result(
            "no software services configured", [f], {"services": []}, status=Status.UNAVAILABLE
        )
    findings, rows = await check_tcp_services(services, config.thresholds.tcp_timeout_s)
    up = len(services) - len(findings)
    return timer.result(
        f"{up}/{len(services)} software services accept connections", findings, {"services": rows}
    )
