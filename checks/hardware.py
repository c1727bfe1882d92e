"""SOP step 6, "Cek Hardware": CPU, memory, disks, network cards, temperatures, uptime.

Everything comes from psutil. What the machine cannot tell (no temperature
sensors in a VM) is an "unavailable" finding, never an error.
"""

from __future__ import annotations

import asyncio
import os
import time

import psutil

from checks.config import CheckConfig, Thresholds
from checks.models import CheckResult, Finding, Status, worst
from checks.result import StepTimer

STEP = 6
CPU_SAMPLE_S = 0.5
# Pseudo and read-only image filesystems are never "full" in a way that matters.
_SKIP_FS = {"squashfs", "iso9660", "overlay", "tmpfs", "devtmpfs", "ramfs", "nsfs"}


def _level(value: float, warn: float, fail: float) -> Status | None:
    if value >= fail:
        return Status.FAIL
    if value >= warn:
        return Status.WARN
    return None


def disks() -> list[dict[str, object]]:
    """Usage of every mounted disk, once per device."""
    rows, seen = [], set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _SKIP_FS or part.device in seen:
            continue
        try:
            use = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        seen.add(part.device)
        rows.append(
            {
                "mount": part.mountpoint,
                "device": part.device,
                "fstype": part.fstype,
                "total_gb": round(use.total / 1e9, 1),
                "used_pct": use.percent,
            }
        )
    return rows


def nics() -> list[dict[str, object]]:
    """Error and drop counters of every network card since boot."""
    return [
        {
            "interface": name,
            "errin": c.errin,
            "errout": c.errout,
            "dropin": c.dropin,
            "dropout": c.dropout,
        }
        for name, c in sorted(psutil.net_io_counters(pernic=True).items())
    ]


def temperatures() -> list[dict[str, object]] | None:
    """Every readable temperature sensor; None when the machine has none."""
    read = getattr(psutil, "sensors_temperatures", None)
    try:
        sensors = read() if read else {}
    except OSError:
        sensors = {}
    rows = [
        {"sensor": f"{chip} {t.label}".strip(), "celsius": t.current}
        for chip, entries in sensors.items()
        for t in entries
        if t.current is not None
    ]
    return rows or None


def _judge(
    th: Thresholds,
    cpu: float,
    mem: float,
    disk_rows: list[dict[str, object]],
    nic_rows: list[dict[str, object]],
    temps: list[dict[str, object]] | None,
) -> list[Finding]:
    found: list[Finding] = []
    if sev := _level(cpu, th.cpu_warn_pct, th.cpu_fail_pct):
        found.append(Finding(code="hw.cpu_high", severity=sev, params={"pct": cpu}))
    if sev := _level(mem, th.memory_warn_pct, th.memory_fail_pct):
        found.append(Finding(code="hw.memory_high", severity=sev, params={"pct": mem}))
    for d in disk_rows:
        pct = float(d["used_pct"])  # type: ignore[arg-type]
        if sev := _level(pct, th.disk_warn_pct, th.disk_fail_pct):
            found.append(
                Finding(
                    code="hw.disk_full",
                    severity=sev,
                    subject=str(d["mount"]),
                    params={"mount": str(d["mount"]), "pct": pct},
                )
            )
    for n in nic_rows:
        errors = int(n["errin"]) + int(n["errout"])  # type: ignore[call-overload]
        drops = int(n["dropin"]) + int(n["dropout"])  # type: ignore[call-overload]
        if th.nic_errors_warn and errors >= th.nic_errors_warn:
            found.append(
                Finding(
                    code="hw.nic_errors",
                    severity=Status.WARN,
                    subject=str(n["interface"]),
                    params={"interface": str(n["interface"]), "errors": errors, "drops": drops},
                )
            )
    if temps is None:
        found.append(Finding(code="hw.temp_unavailable", severity=Status.UNAVAILABLE))
    else:
        for t in temps:
            c = float(t["celsius"])  # type: ignore[arg-type]
            if sev := _level(c, th.temperature_warn_c, th.temperature_fail_c):
                found.append(
                    Finding(
                        code="hw.temp_high",
                        severity=sev,
                        subject=str(t["sensor"]),
                        params={"sensor": str(t["sensor"]), "celsius": c},
                    )
                )
    return found


async def check_hardware(config: CheckConfig) -> CheckResult:
    """Sample CPU for half a second while reading the rest, then judge the thresholds."""
    timer = StepTimer(STEP)
    cpu_task = asyncio.create_task(asyncio.to_thread(psutil.cpu_percent, CPU_SAMPLE_S))
    mem = psutil.virtual_memory()
    disk_rows, nic_rows, temps = await asyncio.gather(
        asyncio.to_thread(disks), asyncio.to_thread(nics), asyncio.to_thread(temperatures)
    )
    cpu = await cpu_task
    load = os.getloadavg()
    uptime_s = int(time.time() - psutil.boot_time())
    details = {
        "cpu_pct": cpu,
        "cpu_count": psutil.cpu_count(),
        "load_avg": [round(x, 2) for x in load],
        "memory_pct": mem.percent,
        "memory_total_gb": round(mem.total / 1e9, 1),
        "disks": disk_rows,
        "nics": nic_rows,
        "temperatures": temps,
        "uptime_s": uptime_s,
    }
    findings = _judge(config.thresholds, cpu, mem.percent, disk_rows, nic_rows, temps)
    summary = f"cpu {cpu:.0f}%, memory {mem.percent:.0f}%, {len(disk_rows)} disks, up {uptime_s}s"
    # CPU, memory and disks were read: a sensor this machine lacks is a note under the
    # step, not the step's verdict ("➖ Cek Hardware" would say nothing was checked).
    status = worst([f.severity for f in findings if f.severity != Status.UNAVAILABLE])
    return timer.result(summary, findings, details, status=status)
