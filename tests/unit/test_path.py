"""The path from an office to SIAK: the config refuses a broken one, and the walk
names the first part that does not answer (issue 21)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.path import Break, locate
from bot.settings.office import Link, OfficeConfig
from checks.config import ConfigError, parse_config

OFFICE = """
[[targets]]
name = "gateway kantor"
host = "127.0.0.1"
[[targets]]
name = "VPN SIAK"
host = "127.0.0.2"
[[targets]]
name = "SIAK Terpusat"
host = "127.0.0.3"
[[vendors]]
name = "ISP Telkom"
[[vendors]]
name = "Helpdesk SIAK"
[[links]]
name = "LAN Dinas"
kind = "lan"
check = "gateway kantor"
[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"
service_id = "4700123456"
[[links]]
name = "SIAK Terpusat"
kind = "pusat"
check = "SIAK Terpusat"
vendor = "Helpdesk SIAK"
[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "VPN SIAK", "SIAK Terpusat"]
"""


def test_a_kantor_dinas_path_is_read_nearest_first() -> None:
    config = parse_config(OFFICE, "n.toml", model=OfficeConfig)
    assert config.sites[0].path == ("LAN Dinas", "VPN SIAK", "SIAK Terpusat")
    vpn = next(x for x in config.links if x.name == "VPN SIAK")
    assert (vpn.kind, vpn.vendor, vpn.service_id) == ("vpn", "ISP Telkom", "4700123456")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            ('path = ["LAN Dinas", "VPN SIAK", "SIAK Terpusat"]', 'path = ["LAN Dinas", "VPN"]'),
            r"sites\[0\]\.path: 'VPN' is not the name of any \[\[links\]\] entry",
        ),
        (
            (
                'path = ["LAN Dinas", "VPN SIAK", "SIAK Terpusat"]',
                'path = ["LAN Dinas", "VPN SIAK", "LAN Dinas", "SIAK Terpusat"]',
            ),
            r"sites\[0\]\.path: 'LAN Dinas' is named twice",
        ),
        (
            ('check = "VPN SIAK"', 'check = "VPN"'),
            r"links\.VPN SIAK\.check: 'VPN' is not the name of any \[\[targets\]\]",
        ),
        (
            ('vendor = "ISP Telkom"', 'vendor = "ISP Lain"'),
            r"links\[1\]\.vendor: 'ISP Lain' is not the name of any \[\[vendors\]\]",
        ),
        (
            (
                'path = ["LAN Dinas", "VPN SIAK", "SIAK Terpusat"]',
                'path = ["LAN Dinas", "VPN SIAK"]',
            ),
            r"links\[2\]: 'SIAK Terpusat' is on no site's path",
        ),
        (('kind = "vpn"', 'kind = "satelit"'), r"links\.1\.kind|links\[1\]\.kind"),
    ],
)
def test_a_broken_path_is_refused_naming_the_key(change: tuple[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        parse_config(OFFICE.replace(*change), "n.toml", model=OfficeConfig)


def test_a_check_on_an_agents_site_is_the_agents_name() -> None:
    remote = OFFICE.replace(
        'name = "Kantor Dinas"', 'name = "Kecamatan"\nagent_url = "https://10.0.0.5:8443"'
    ).replace('check = "gateway kantor"', 'check = "gateway kecamatan"')
    assert parse_config(remote, "n.toml", model=OfficeConfig).links[0].check == "gateway kecamatan"


LAN, ISP, VPN, PUSAT = (
    Link(name="LAN", kind="lan", check="gw"),
    Link(name="ISP", kind="isp", check="dns"),
    Link(name="VPN", kind="vpn", check="vpn", vendor="Telkom"),
    Link(name="Pusat", kind="pusat", check="siak"),
)
PATH = (LAN, ISP, VPN, PUSAT)


def test_the_first_part_that_does_not_answer_is_the_break() -> None:
    up = {"gw": True, "dns": True, "vpn": True, "siak": True}
    assert locate(PATH, up, local_ok=True) == Break()
    assert locate(PATH, {**up, "vpn": False, "siak": False}, local_ok=True) == Break(part=VPN)
    pusat = locate(PATH, {**up, "siak": False}, local_ok=True)
    assert pusat.part is PUSAT and pusat.outside_office
    assert locate(PATH, {**up, "gw": False}, local_ok=False) == Break(before_first=True)
    # A part that could not be checked is not blamed, nor anything behind it.
    assert locate(PATH, {**up, "dns": None, "vpn": False}, local_ok=True) == Break(unknown=ISP)


@given(st.lists(st.sampled_from([True, False, None]), min_size=4, max_size=4), st.booleans())
def test_the_break_is_preceded_only_by_parts_that_answered(
    answers: list[bool | None], local_ok: bool
) -> None:
    seen = {link.check: a for link, a in zip(PATH, answers, strict=True)}
    b = locate(PATH, seen, local_ok=local_ok)
    if not local_ok:
        assert b == Break(before_first=True)
        return
    stop = b.part or b.unknown
    before = PATH[: PATH.index(stop)] if stop else PATH
    assert all(seen[link.check] is True for link in before)
    if b.part is not None:
        assert seen[b.part.check] is False
    if b.unknown is not None:
        assert seen[b.unknown.check] is None
    assert (stop is None) == all(a is True for a in answers)
