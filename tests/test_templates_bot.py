"""Every bot message exists in both languages, and user text is escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.render.views import Views
from bot.sop.model import State
from bot.storage import Complaint

TEMPLATES = Path(__file__).resolve().parent.parent / "bot" / "render" / "templates"


def test_both_languages_have_the_same_templates() -> None:
    ids = {p.name for p in (TEMPLATES / "id").iterdir()}
    ens = {p.name for p in (TEMPLATES / "en").iterdir()}
    assert ids and ids == ens


@pytest.mark.parametrize("lang", ["id", "en"])
def test_user_text_is_escaped_everywhere_it_appears(lang: str) -> None:
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    now = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    c = Complaint(id=7, state=State.CLOSED, reporter_id=1, reporter_chat_id=1,
                  reporter_name="<i>Ana</i>", filed_by_id=None, filed_by_name=None,
                  channel="chat", site="Kantor <Dinas>", text="a <b> & c", round=1,
                  created_at=now, updated_at=now, closed_at=now)
    view = v.complaint(c)
    texts = [
        v.html("ack", c=view),
        v.html("diagnosis", c=view, steps=v.steps([]), done=True, decision=None, error=False),
        v.html("history", c=view, full=True, events=[], times=[], vendors=[]),
        v.html("agenda", open=[], closed=[view], now=now),
        v.html("outcome", c=view, outcome="closed", recorded="Jaringan berjalan normal"),
    ]
    for text in texts:
        assert "<b> &" not in text and "<i>Ana" not in text
        assert "#K7" in text
    assert "08:00" in texts[3], "times are shown in the office's time zone (WIB)"
