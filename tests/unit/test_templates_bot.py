"""Every bot message exists in both languages, and user text is escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.model import State
from bot.render.views import Views
from bot.storage import Complaint, Incident

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "render" / "templates"


def test_both_languages_have_the_same_templates() -> None:
    ids = {p.name for p in (TEMPLATES / "id").iterdir()}
    ens = {p.name for p in (TEMPLATES / "en").iterdir()}
    assert ids and ids == ens


def _complaint(**changes: object) -> Complaint:
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    c = Complaint(
        id=12,
        state=State.DIAGNOSING,
        reporter_id=None,
        reporter_chat_id=None,
        reporter_name="Bu Sari",
        filed_by_id=5001,
        filed_by_name="Andi ADB",
        channel="catat",
        site="Kecamatan Lengayang",
        text="SIAK tidak bisa dibuka",
        round=1,
        created_at=now,
        updated_at=now,
        closed_at=None,
        incident_id=4,
    )
    return replace(c, **changes)  # type: ignore[arg-type]


def _incident(state: str) -> Incident:
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    return Incident(
        id=4,
        site="Kecamatan Lengayang",
        state=state,
        round=1,
        merged_into=None,
        created_at=now,
        updated_at=now,
        decided_at=now,
        closed_at=None,
    )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_user_text_is_escaped_everywhere_it_appears(lang: str) -> None:
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    c = _complaint(
        id=7,
        state=State.CLOSED,
        reporter_id=1,
        reporter_chat_id=1,
        reporter_name="<i>Ana</i>",
        filed_by_id=None,
        filed_by_name=None,
        channel="chat",
        site="Kantor <Dinas>",
        text="a <b> & c",
        closed_at=now,
        incident_id=3,
    )
    other = replace(c, id=8, reporter_name="<u>Budi</u>", text="<script> d")
    inc = v.incident(
        replace(_incident("awaiting_decision"), id=3, site="Kantor <Dinas>", decided_at=None)
    )
    view = v.complaint(c)
    texts = [
        v.html("ack", c=view, inc=inc, joined=False, count=1),
        v.html("ack", c=view, inc=inc, joined=True, count=2),
        v.html(
            "diagnosis",
            c=view,
            inc=inc,
            group=v.group([c]),
            steps=v.steps([]),
            done=True,
            decision=None,
            error=False,
            merged_into=None,
            auto=None,
        ),
        v.html(
            "diagnosis",
            c=view,
            inc=inc,
            group=v.group([c, other], details=1),
            steps=v.steps([]),
            done=True,
            decision=None,
            error=False,
            merged_into=None,
            auto=None,
        ),
        v.html(
            "history",
            c=view,
            full=True,
            events=[],
            times=[],
            vendors=[],
            inc=inc,
            linked=["#K7", "#K8"],
        ),
        v.html("agenda", open=[], closed=[view], dismissed=[], now=now),
        v.html("outcome", c=view, outcome="closed", recorded="Jaringan berjalan normal"),
    ]
    for text in texts:
        assert "<b> &" not in text and "<i>Ana" not in text and "<Dinas>" not in text
        assert "<script>" not in text and "<u>Budi" not in text
        assert "#K7" in text
    assert "#K8" in texts[3] and "Budi" not in texts[3], "every tag, details as many as fit"
    eight = "08.00 WIB" if lang == "id" else "08:00 WIB"
    assert eight in texts[5], "times are shown in the office's time zone (WIB)"


@pytest.mark.parametrize("state", ["diagnosing", "escalated"])
def test_a_phoned_in_complaint_tells_the_adb_to_pass_the_outcome_on(state: str) -> None:
    """/catat's acknowledgement goes to the ADB, who is not the one waiting for news."""
    v = Views("id", ZoneInfo("Asia/Jakarta"))
    inc = v.incident(_incident(state))
    for joined in (False, True):
        text = v.html("ack", c=v.complaint(_complaint()), inc=inc, joined=joined, count=3)
        assert "Anda akan diberi kabar" not in text and "Laporan Anda" not in text
        assert "pelapor" in text
    own = v.html("ack", c=v.complaint(_complaint(channel="chat")), inc=inc, joined=True, count=3)
    assert "Anda akan diberi kabar" in own


def test_the_status_names_each_incidents_state_in_words() -> None:
    v = Views("id", ZoneInfo("Asia/Jakarta"))
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    text = v.html(
        "status",
        now=now,
        monitoring=True,
        sites=[],
        incidents=[v.incident(_incident("awaiting_decision"))],
        windows=[],
    )
    assert "menunggu keputusan ADB" in text and "awaiting_decision" not in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_in_a_group_start_and_help_point_to_the_private_chat(lang: str) -> None:
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    for group in ("jf_adb", "kabid"):
        start = v.html("start", user_name="", roles=[group], group=group, in_group=True)
        lines = start.splitlines()
        assert lines[-1] in ("Bantuan: /bantuan", "Help: /help"), "the help line stands alone"
        assert "/lapor" in start and ("chat pribadi" in start or "private chat" in start)
    help_text = v.html("help", roles=["jf_adb"], in_group=True)
    assert "/lapor —" not in help_text and "/agenda" in help_text
    assert "/lapor —" in v.html("help", roles=[], in_group=False)


def test_every_setting_says_in_indonesian_what_it_expects() -> None:
    from bot.render import render
    from bot.settings.environment import EXPECTED
    from checks.config import Problem

    problems = tuple(Problem(name, "missing", "is missing") for name in EXPECTED)
    lines = render("id", "setup_error.txt.j2", source="env", problems=problems, detail="")
    body = lines.splitlines()[1:]
    assert len(body) == len(EXPECTED)
    for name, line in zip(EXPECTED, body, strict=True):
        assert line.strip().startswith(f"{name}: belum diisi; yang diharapkan: "), line


def test_official_reports_carry_no_set_up_instructions() -> None:
    """The Kabid's report says a check is not set up; how to set it up is the ADB's."""
    from checks.models import CheckResult, Finding, Status

    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    r = CheckResult(
        step=5,
        name="services",
        status=Status.UNAVAILABLE,
        summary="no services configured",
        findings=(Finding(code="services.not_configured", severity=Status.UNAVAILABLE),),
        started_at=now,
        duration_s=0.0,
    )
    v = Views("id", ZoneInfo("Asia/Jakarta"))
    adb = [f["text"] for s in v.steps([r]) for f in s["findings"]]
    kabid = [f["text"] for s in v.steps([r], official=True) for f in s["findings"]]
    assert any("tambahkan" in t for t in adb)
    assert kabid == ["pemeriksaan ini belum disiapkan di server ini"]
