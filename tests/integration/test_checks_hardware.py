"""SOP step 6 (hardware): the numbers are this machine's, and thresholds turn them into findings."""

from __future__ import annotations

import os

import psutil

from checks.config import CheckConfig, Thresholds
from checks.hardware import check_hardware
from checks.models import Status


async def test_reports_true_root_disk_usage_and_memory() -> None:
    result = await check_hardware(CheckConfig())
    disks = {d["mount"]: d for d in result.details["disks"]}
    assert "/" in disks
    st = os.statvfs("/")
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    pct = 100 * used / (used + st.f_bavail * st.f_frsize)
    assert abs(disks["/"]["used_pct"] - pct) < 1.0
    assert abs(result.details["memory_pct"] - psutil.virtual_memory().percent) < 5
    assert 0 <= result.details["cpu_pct"] <= 100
    assert result.details["uptime_s"] > 0
    nics = {n["interface"] for n in result.details["nics"]}
    assert "lo" in nics


async def test_thresholds_turn_usage_into_findings() -> None:
    strict = Thresholds(disk_warn_pct=0, disk_fail_pct=0, memory_warn_pct=0, memory_fail_pct=0)
    result = await check_hardware(CheckConfig(thresholds=strict))
    assert result.status == Status.FAIL
    full = {f.params["mount"] for f in result.findings if f.code == "hw.disk_full"}
    assert full == {d["mount"] for d in result.details["disks"]}
    assert any(f.code == "hw.memory_high" and f.severity == Status.FAIL for f in result.findings)


async def test_temperature_is_unavailable_exactly_when_there_are_no_sensors() -> None:
    result = await check_hardware(CheckConfig())
    sensors = any(
        t.current is not None for ts in psutil.sensors_temperatures().values() for t in ts
    )
    unavailable = [f for f in result.findings if f.code == "hw.temp_unavailable"]
    assert bool(unavailable) is (not sensors)
    if not sensors:
        assert unavailable[0].severity == Status.UNAVAILABLE
        assert result.details["temperatures"] is None
    # CPU, memory and disks were read: a missing sensor is a note, not the step's verdict.
    assert result.status is not Status.UNAVAILABLE
