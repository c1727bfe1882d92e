"""SOP step 5, "Cek service di server apakah berjalan normal": services are running.

Three kinds, each optional in the config: processes (found with psutil by
name), TCP services that must accept connections, and systemd units that must
be active (``systemctl is-active`` with an argument list, never a shell).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Sequence

import psutil

from checks.config import CheckConfig, Unit
from checks.models import CheckResult, Finding, Status
from checks.result import StepTimer
from checks.tcp import check_tcp_services

STEP = 5
SYSTEMCTL_TIMEOUT_S = 5.0


def running_counts(names: Sequence[str]) -> dict[str, int]:
    """How many processes match each name (process name, executable or argv[0])."""
    counts = dict.fromkeys(names, 0)
    wanted = set(names)
    for proc in psutil.process_iter(["name", "exe", "cmdline"]):
        info = proc.info
        cmdline = info.get("cmdline") or []
        candidates = {
            info.get("name") or "",
            os.path.basename(info.get("exe") or ""),
            os.path.basename(cmdline[0]) if cmdline else "",
        }
        for name in wanted & candidates:
            counts[name] += 1
    return counts


async def unit_state(name: str) -> str | None:
    """``systemctl is-active`` output ("active", "inactive", "failed" ...), None if unknowable."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return None
    proc = await asyncio.create_subprocess_exec(
        systemctl,
        "is-active",
        "--",
        name,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(SYSTEMCTL_TIMEOUT_S):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    state = out.decode(errors="replace").strip()
    # Without systemd as init (containers) it prints nothing or "offline"/"unknown".
    return state if state and state not in {"offline", "unknown"} else None


async def _check_units(units: Sequence[Unit]) -> tuple[list[Finding], list[dict[str, object]]]:
    states = await asyncio.gather(*(unit_state(u.name) for u in units))
    findings: list[Finding] = []
    rows: list[dict[str, object]] = []
    for unit, state in zip(units, states, strict=True):
        rows.append({"name": unit.name, "state": state})
        if state is None:
            findings.append(
                Finding(
                    code="unit.unavailable",
                    severity=Status.UNAVAILABLE,
                    subject=unit.name,
                    params={"name": unit.name},
                )
            )
        elif state != "active":
            findings.append(
                Finding(
                    code="unit.inactive",
                    severity=Status.FAIL,
                    subject=unit.name,
                    params={"name": unit.name, "state": state},
                )
            )
    return findings, rows


async def check_services(config: CheckConfig) -> CheckResult:
    """Processes running, ports accepting, units active; one finding per one that is not."""
    timer = StepTimer(STEP)
    tcp = [s for s in config.services if not s.software]
    if not (tcp or config.processes or config.units):
        f = Finding(code="services.not_configured", severity=Status.UNAVAILABLE)
        return timer.result("no services configured", [f], status=Status.UNAVAILABLE)
    names = [p.name for p in config.processes]
    counts, (tcp_findings, tcp_rows), (unit_findings, unit_rows) = await asyncio.gather(
        asyncio.to_thread(running_counts, names),
        check_tcp_services(tcp, config.thresholds.tcp_timeout_s),
        _check_units(config.units),
    )
    findings = [
        Finding(code="process.missing", severity=Status.FAIL, subject=n, params={"name": n})
        for n in names
        if counts[n] == 0
    ]
    findings += tcp_findings + unit_findings
    details = {
        "processes": [{"name": n, "running": counts[n]} for n in names],
        "services": tcp_rows,
        "units": unit_rows,
    }
    total = len(names) + len(tcp) + len(config.units)
    bad = sum(1 for f in findings if f.severity == Status.FAIL)
    return timer.result(f"{total - bad}/{total} services running", findings, details)
