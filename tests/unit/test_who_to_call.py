"""Who to call and what the reporters and the public counters read (issue 21), in both
languages: the part's vendor first, the office itself when no vendor repairs a part,
the data center as outside the office, never a raw value."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.model import State
from bot.domain.path import Break
from bot.render.views import Views
from bot.settings.office import Link, Vendor
from bot.sop.fault import fault_view, first_vendor, service_id_for
from bot.storage import Complaint, Incident

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 08.00 in Jakarta
LAN = Link(name="LAN Dinas", kind="lan", check="gateway")
ISP = Link(
    name="Internet Dinas", kind="isp", check="isp", vendor="ISP Telkom", service_id="4700123456"
)
PUSAT = Link(name="SIAK Terpusat", kind="pusat", check="siak", vendor="Helpdesk SIAK")
HELPDESK, TELKOM = Vendor(name="Helpdesk SIAK", phone="021"), Vendor(name="ISP Telkom", phone="147")


def complaint() -> Complaint:
    return Complaint(
        id=3, state=State.AWAITING_DECISION, reporter_id=7, reporter_chat_id=7,
        reporter_name="Rina", filed_by_id=None, filed_by_name=None, channel="chat",
        site="Kantor Dinas", text="SIAK putus", round=1, created_at=NOW, updated_at=NOW,
        closed_at=None, incident_id=1,
    )  # fmt: skip


def incident() -> Incident:
    return Incident(
        id=1, site="Kantor Dinas", state=State.AWAITING_DECISION, round=1, merged_into=None,
        created_at=NOW, updated_at=NOW, decided_at=None, closed_at=None,
    )  # fmt: skip


def texts(lang: str, part: Link, vendor: Vendor | None) -> tuple[str, str]:
    """The reporter's notice and the pengumuman layanan for a break at ``part``."""
    v = Views(lang, ZoneInfo("Asia/Jakarta"))
    fault = fault_view(Break(part=part), vendor)
    notice = v.html("fault_notice", c=v.complaint(complaint()), fault=fault)
    public = v.html(
        "announcement", inc=v.incident(incident()), fault=fault, sites=["Kantor Dinas"], since=NOW
    )
    return notice, public


def test_the_broken_parts_vendor_comes_first_and_the_rest_keep_their_order() -> None:
    other = Vendor(name="ISP Icon Plus")
    assert first_vendor([HELPDESK, other, TELKOM], "ISP Telkom") == [TELKOM, HELPDESK, other]
    assert first_vendor([HELPDESK, other], None) == [HELPDESK, other]


def test_the_line_id_is_told_only_to_the_vendor_that_repairs_the_line() -> None:
    assert service_id_for(Break(part=ISP), "ISP Telkom") == "4700123456"
    assert service_id_for(Break(part=ISP), "Helpdesk SIAK") == ""
    assert service_id_for(Break(unknown=ISP), "ISP Telkom") == ""  # not blamed: no id


@pytest.mark.parametrize(("lang", "office"), [("id", "ADB"), ("en", "the ADB")])
def test_a_part_no_vendor_repairs_is_handled_by_the_office(lang: str, office: str) -> None:
    notice, public = texts(lang, LAN, None)
    assert (
        f"LAN Dinas ({'jaringan kantor (LAN)' if lang == 'id' else 'office network (LAN)'})"
        in notice
    )
    assert notice.rstrip().endswith("/lacak 3") and office + "." in notice
    for text in (notice, public):
        assert "None" not in text and "lan)" not in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [("id", "pusat data Kemendagri"), ("en", "Kemendagri data center")],
)
def test_a_data_center_fault_reads_outside_the_office_to_reporters_and_the_public(
    lang: str, words: str
) -> None:
    notice, public = texts(lang, PUSAT, HELPDESK)
    assert words in notice and "Helpdesk SIAK" in notice
    assert ("di luar kantor" if lang == "id" else "outside the office") in public
    assert "021" not in public and "#K" not in public.split("<pre>")[1]
    assert ("08.00" if lang == "id" else "08:00") in public  # since when, in office time
