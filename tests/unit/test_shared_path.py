"""Which parts of the office's paths are shared, and where monitoring's answers locate a
break: what "one incident per broken part" is decided on (issue 21)."""

from __future__ import annotations

from bot.settings.office import OfficeConfig
from bot.sop.fault import Paths
from checks.config import parse_config

OFFICE = """
[[targets]]
name = "gateway dinas"
host = "127.0.0.1"
[[targets]]
name = "gateway tarusan"
host = "127.0.0.2"
[[targets]]
name = "VPN SIAK"
host = "127.0.0.3"
[[vendors]]
name = "ISP Telkom"
[[links]]
name = "LAN Dinas"
kind = "lan"
check = "gateway dinas"
[[links]]
name = "LAN Tarusan"
kind = "lan"
check = "gateway tarusan"
[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"
[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "VPN SIAK"]
[[sites]]
name = "Kecamatan Koto XI Tarusan"
path = ["LAN Tarusan", "VPN SIAK"]
[[sites]]
name = "Kecamatan Bayang"
"""
DINAS, TARUSAN = "Kantor Dinas", "Kecamatan Koto XI Tarusan"


def paths() -> Paths:
    return Paths(parse_config(OFFICE, "n.toml", model=OfficeConfig))


def test_the_vpn_on_two_paths_is_shared_and_a_lan_is_not() -> None:
    p = paths()
    assert p.parts(TARUSAN) == ("LAN Tarusan", "VPN SIAK")
    assert p.behind("VPN SIAK") == (DINAS, TARUSAN)
    assert p.shared("VPN SIAK") and not p.shared("LAN Dinas")
    assert p.check("LAN Tarusan") == "gateway tarusan" and p.check("no such part") is None


def test_a_site_without_a_path_is_behind_nothing() -> None:
    p = paths()
    assert p.parts("Kecamatan Bayang") == () and p.parts(None) == ()
    assert p.locate_answers("Kecamatan Bayang", {"VPN SIAK": False}) is None


def test_monitorings_answers_locate_the_first_part_down() -> None:
    p = paths()
    down = p.locate_answers(TARUSAN, {"gateway tarusan": True, "VPN SIAK": False})
    assert down is not None and down.part is not None and down.part.name == "VPN SIAK"
    lan = p.locate_answers(TARUSAN, {"gateway tarusan": False, "VPN SIAK": False})
    assert lan is not None and lan.part is not None and lan.part.name == "LAN Tarusan"
    unwatched = p.locate_answers(TARUSAN, {"VPN SIAK": False})  # the LAN is not watched
    assert unwatched is not None and unwatched.part is None and unwatched.unknown is not None
