"""The plain-language hints: every documented code has one, in both languages, safe in HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.render import environment
from checks.models import Finding, Status

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "render" / "templates"
DOC = (TEMPLATES / "id" / "findings.j2").read_text(encoding="utf-8")
# "    ping.loss                [name, host, role, loss_pct]"
CODES = {
    m[0]: [p.strip() for p in m[1].split(",") if p.strip()]
    for m in re.findall(r"^\s+([a-z]+\.[a-z_]+)\s+\[([^\]]*)\]", DOC, re.M)
}
SAMPLE = {
    "name": "SIAK",
    "host": "10.0.0.5",
    "port": 1521,
    "role": "target",
    "loss_pct": 33.3,
    "avg_ms": 120.0,
    "interface": "eth0",
    "expected": "x",
    "actual": "y",
    "speed_mbps": 10,
    "mount": "/",
    "pct": 97.0,
    "errors": 3,
    "drops": 1,
    "sensor": "cpu",
    "celsius": 90.0,
    "step": 4,
    "exception": "OSError",
    "state": "failed",
    "error": "boom",
    "ping_group_range": "1 0",
    "gid": 0,
    "uid": 0,
}


def hint(lang: str, finding: Finding, autoescape: bool = False) -> str:
    env = environment(lang).overlay(autoescape=autoescape)
    tpl = env.from_string('{% from "findings.j2" import finding %}{{ finding(f) }}')
    return tpl.render(f=finding).strip()


def test_codes_are_documented() -> None:
    assert len(CODES) >= 30
    assert {
        "ping.no_reply",
        "ping.loss",
        "ip.link_down",
        "ip.no_gateway",
        "ip.wrong_subnet",
        "service.closed",
        "process.missing",
        "hw.disk_full",
        "hw.temp_unavailable",
        "ping.unavailable",
    } <= CODES.keys()


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_its_own_hint(lang: str, code: str) -> None:
    params = {p: SAMPLE[p] for p in CODES[code]}
    text = hint(lang, Finding(code=code, severity=Status.FAIL, params=params))
    assert text and code not in text
    assert "\n" not in text


def test_gateway_hint_uses_the_sops_words() -> None:
    f = Finding(
        code="ping.no_reply",
        severity=Status.FAIL,
        params={"name": "gateway", "host": "192.168.1.1", "role": "gateway"},
    )
    expected = "gateway 192.168.1.1 tidak menjawab ping: periksa kabel/switch dan router"
    assert hint("id", f) == expected


def test_params_are_escaped_in_html_and_raw_in_text() -> None:
    f = Finding(code="process.missing", severity=Status.FAIL, params={"name": "<b>x&y</b>"})
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in hint("id", f, autoescape=True)
    assert "<b>x&y</b>" in hint("id", f, autoescape=False)


def test_findings_from_json_dicts_render_too() -> None:
    f = {
        "code": "hw.disk_full",
        "severity": "fail",
        "subject": "/",
        "params": {"mount": "/", "pct": 97.4},
    }
    env = environment("id")
    tpl = env.from_string('{% from "findings.j2" import finding %}{{ finding(f) }}')
    assert tpl.render(f=f).startswith("disk / terisi 97%")


def test_unknown_code_falls_back_to_the_code() -> None:
    f = Finding(code="future.thing", severity=Status.WARN, subject="x")
    assert hint("id", f) == "future.thing (x)"


def test_step_names_are_the_sops() -> None:
    env = environment("id")
    tpl = env.from_string(
        '{% from "findings.j2" import step_name %}'
        "{% for s in [2,3,4,5,6] %}{{ step_name(s) }}|{% endfor %}"
    )
    assert tpl.render().split("|")[:5] == [
        "Melakukan pemeriksaan secara software",
        "Melakukan pengecekan pengaturan alamat IP di dinas",
        "Menge'ping' ke alamat IP yang dituju",
        "Cek service di server apakah berjalan normal",
        "Cek Hardware",
    ]
