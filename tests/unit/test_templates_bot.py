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


@pytest.mark.parametrize("lang", ["id", "en"])
def test_user_text_is_escaped_everywhere_it_appears(lang: str) -> None:
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    c = Complaint(
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
        round=1,
        created_at=now,
        updated_at=now,
        closed_at=now,
        incident_id=3,
    )
    other = replace(c, id=8, reporter_name="<u>Budi</u>", text="<script> d")
    inc = v.incident(
        Incident(
            id=3,
            site="Kantor <Dinas>",
            state="awaiting_decision",
            round=1,
            merged_into=None,
            created_at=now,
            updated_at=now,
            decided_at=None,
            closed_at=None,
        )
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
        v.html("agenda", open=[], closed=[view], now=now),
        v.html("outcome", c=view, outcome="closed", recorded="Jaringan berjalan normal"),
    ]
    for text in texts:
        assert "<b> &" not in text and "<i>Ana" not in text and "<Dinas>" not in text
        assert "<script>" not in text and "<u>Budi" not in text
        assert "#K7" in text
    assert "#K8" in texts[3] and "Budi" not in texts[3], "every tag, details as many as fit"
    assert "08:00" in texts[5], "times are shown in the office's time zone (WIB)"
