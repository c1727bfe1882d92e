"""The decisive findings an official report carries (issue 18): what failed or warned,
worded as the ADB's prompt words it, minus the set-up instructions meant for the ADB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.decisive import deciding_round
from bot.render import environment
from bot.render.views import Views
from checks.models import CheckResult, Finding, Status

NOW = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)  # 08:00 WIB


def result(step: int, status: Status, *findings: Finding) -> CheckResult:
    return CheckResult(
        step=step,
        name=f"step{step}",
        status=status,
        summary="",
        findings=findings,
        started_at=NOW,
        duration_s=0.1,
    )


def f(code: str, severity: Status, **params: str | int) -> Finding:
    return Finding(code=code, severity=severity, params=params)


def test_only_failures_and_warnings_decide_in_step_order() -> None:
    v = Views("id", ZoneInfo("Asia/Jakarta"))
    checks = [
        result(6, Status.WARN, f("hw.disk_full", Status.WARN, mount="/", pct=93)),
        result(2, Status.UNAVAILABLE, f("software.not_configured", Status.UNAVAILABLE)),
        result(
            4,
            Status.FAIL,
            f("ping.no_reply", Status.FAIL, name="gateway", host="10.0.0.1", role="gateway"),
        ),
        result(3, Status.OK),
    ]
    found = v.decisive(checks)
    assert [(d["no"], d["severity"]) for d in found] == [(4, "fail"), (6, "warn")]
    assert found[0]["text"] == v.finding(checks[2].findings[0])  # the prompt's words
    assert found[0]["text"].startswith("gateway 10.0.0.1 tidak menjawab ping")
    assert v.decisive([result(3, Status.OK)]) == []


def test_an_unreachable_agent_is_named_once_and_set_up_hints_never() -> None:
    """An agent that does not answer fails every step: one line. An agent the bot is not
    set up to ask (token, allow list), or ping without permission, reads as not set up."""
    v = Views("id", ZoneInfo("Asia/Jakarta"))
    down = f("agent.unreachable", Status.FAIL, site="Kecamatan Lengayang", url="https://x")
    refused = f("agent.unauthorized", Status.FAIL, site="Kantor Dinas", env="AGENT_X", status=403)
    no_ping = f("ping.unavailable", Status.FAIL, ping_group_range="1 0", gid=1, uid=1)
    texts = [d["text"] for d in v.decisive([result(s, Status.FAIL, down) for s in (2, 3, 5)])]
    assert texts == [
        "agen di server Kecamatan Lengayang tidak bisa dihubungi: kemungkinan jaringan kantor putus"
    ]
    official = [
        d["text"]
        for d in v.decisive([result(4, Status.FAIL, no_ping), result(5, Status.FAIL, refused)])
    ]
    assert official == [
        "pemeriksaan ini belum disiapkan di server ini",
        "bot belum dapat memeriksa server Kantor Dinas: "
        "sambungan bot ke agen di server itu belum disiapkan",
    ]
    for text in official:
        assert "sysctl" not in text and "AGENT_X" not in text and "netmaint.toml" not in text
    adb = [x["text"] for s in v.steps([result(5, Status.FAIL, refused)]) for x in s["findings"]]
    assert "netmaint.toml" in adb[0], "the ADB's prompt keeps the fix"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_report_pieces_render_in_both_languages(lang: str) -> None:
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    fail = result(5, Status.FAIL, f("process.missing", Status.FAIL, name="oracle"))
    decisive = {
        "round": 1,
        "latest": False,
        "at": NOW,
        "findings": v.decisive([fail]),
        "fault": None,
    }
    macros: Any = (
        environment(lang)
        .get_template("_m.html.j2")
        .make_module({"hm": v.hm, "when": v.when, "day": v.day, "person": v.person})
    )
    by_monitor = str(macros.found({"monitored": True, "by": "x", "at": NOW}))
    by_user = str(macros.found({"monitored": False, "by": "Rina", "at": NOW}))
    lines = str(macros.decisive(decisive))
    nothing = str(macros.decisive(None))
    hm, when = {"id": ("08.00", "10 Januari 2026 pukul 08.00 WIB")}.get(
        lang, ("08:00", "10 January 2026, 08:00 WIB")
    )
    assert hm in by_monitor and hm in by_user and "Rina" in by_user
    assert "oracle" in lines and "01-10" not in lines and when in lines
    for text in (by_monitor, by_user, lines, nothing):
        assert "None" not in text and "fail" not in text.replace("❌", "")


def test_the_deciding_round_is_the_one_the_network_did_not_work_on() -> None:
    """After a repair the last round is clean or only busy: the round answered Tidak
    (or Cek ulang) that found something decided; without one, the newest finding."""
    down = [result(5, Status.FAIL, f("process.missing", Status.FAIL, name="oracle"))]
    busy = [result(6, Status.WARN, f("hw.cpu_high", Status.WARN, pct=97))]
    clean = [result(5, Status.OK)]
    assert deciding_round({1: down, 2: busy}, [(1, "tidak"), (2, "ya")]) == 1
    assert deciding_round({1: down, 2: clean}, [(1, "cek_ulang"), (2, "ya")]) == 1
    assert deciding_round({1: down, 2: busy}, [(2, "ya")]) == 2
    assert deciding_round({1: down, 2: clean, 3: down}, [(1, "tidak"), (3, "tidak")]) == 3
    assert deciding_round({1: clean}, [(1, "tidak")]) is None
