"""run_sop_checks: concurrent steps, on_result per step, crashes become ERROR results."""

from __future__ import annotations

import asyncio

import pytest

from checks import runner
from checks.config import CheckConfig, Target, Thresholds
from checks.models import CheckResult, Report, Status
from checks.steps import CHECK_STEPS


async def test_all_steps_run_and_each_is_reported_as_it_finishes() -> None:
    cfg = CheckConfig(
        targets=(Target(name="lo", host="127.0.0.1"),),
        thresholds=Thresholds(ping_count=1, ping_timeout_s=0.5),
    )
    seen: list[int] = []

    async def on_result(result: CheckResult) -> None:
        seen.append(result.step)

    report = await runner.run_sop_checks(cfg, on_result=on_result)
    assert sorted(seen) == [2, 3, 4, 5, 6]
    assert [r.step for r in report.results] == [2, 3, 4, 5, 6]
    assert report.verdict == max(
        (r.status for r in report.results),
        key=lambda s: [Status.OK, Status.UNAVAILABLE, Status.WARN, Status.ERROR, Status.FAIL].index(
            s
        ),
    )
    assert Report.model_validate_json(report.model_dump_json()) == report


async def test_one_step_and_callbacks_in_completion_order(monkeypatch: pytest.MonkeyPatch) -> None:
    async def slow(config: CheckConfig) -> CheckResult:
        await asyncio.sleep(0.2)
        return await runner.check_ipconfig(config)

    monkeypatch.setitem(runner.CHECKS, 3, slow)
    order: list[int] = []

    async def on_result(result: CheckResult) -> None:
        order.append(result.step)

    report = await runner.run_sop_checks(CheckConfig(), steps=[3, 2], on_result=on_result)
    assert order == [2, 3]
    assert [r.step for r in report.results] == [2, 3]


async def test_a_crashing_check_becomes_an_error_result(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(config: CheckConfig) -> CheckResult:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(runner.CHECKS, 6, broken)
    report = await runner.run_sop_checks(CheckConfig(), steps=[2, 6])
    hw = report.result(6)
    assert hw is not None and hw.status == Status.ERROR
    assert hw.details["exception"] == "ZeroDivisionError"
    assert [f.code for f in hw.findings] == ["check.error"]
    assert report.verdict == Status.ERROR
    assert report.exit_code == 3


async def test_a_failing_callback_does_not_stop_the_run() -> None:
    async def on_result(result: CheckResult) -> None:
        raise RuntimeError("telegram is down")

    report = await runner.run_sop_checks(CheckConfig(), steps=[2, 5], on_result=on_result)
    assert len(report.results) == 2


async def test_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="2-6"):
        await runner.run_sop_checks(CheckConfig(), steps=[7])


async def test_report_text_renders_every_step_and_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.render import render

    async def broken(config: CheckConfig) -> CheckResult:
        raise OSError("disk gone")

    monkeypatch.setitem(runner.CHECKS, 6, broken)
    cfg = CheckConfig(
        targets=(Target(name="lo", host="127.0.0.1"),),
        thresholds=Thresholds(ping_count=1, ping_timeout_s=0.5),
    )
    report = await runner.run_sop_checks(cfg)
    text_id = render("id", "report.txt.j2", report=report)
    text_en = render("en", "report.txt.j2", report=report)
    labels = {"ok": "NORMAL", "warn": "PERINGATAN", "fail": "GANGGUAN", "error": "ERROR"}
    assert text_id.splitlines()[0].startswith(f"NETMAINT {labels[report.verdict]} - ")
    assert "[ERROR] Langkah 6: Cek Hardware" in text_id
    assert "pemeriksaan langkah 6 gagal berjalan (OSError)" in text_id
    assert "the check of step 6 could not run (OSError)" in text_en
    for step in (2, 3, 4, 5, 6):
        assert f"Langkah {step}:" in text_id
        assert f"Step {step}:" in text_en
    assert "lo (127.0.0.1): 1/1 balasan" in text_id


def test_every_check_step_has_a_check() -> None:
    assert sorted(runner.CHECKS) == list(CHECK_STEPS)
