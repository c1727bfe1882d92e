"""Which site a complaint names, the site buttons' stable key, and ``[[staff]] site``."""

from __future__ import annotations

import pytest

from bot.cli.language import setup_error
from bot.domain.sites import named_site
from bot.render import buttons
from bot.settings.office import OfficeConfig
from checks.config import ConfigError, parse_config

SITES = ("Kantor Dinas", "Kecamatan Cibinong", "Kantor Dinas Cabang Painan", "Lengayang")


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("jaringan di Kecamatan Cibinong mati", "Kecamatan Cibinong"),
        ("JARINGAN DI KECAMATAN CIBINONG MATI", "Kecamatan Cibinong"),
        ("internet kecamatan   cibinong\nputus", "Kecamatan Cibinong"),  # any spaces
        ("SIAK mati (Kantor Dinas), sejak pagi", "Kantor Dinas"),
        ("di kantor dinas cabang painan mati", "Kantor Dinas Cabang Painan"),  # longest wins
        ("Lengayang: wifi putus", "Lengayang"),
    ],
)
def test_a_configured_name_in_the_text_is_recognised(text: str, site: str) -> None:
    assert named_site(text, SITES) == site


@pytest.mark.parametrize(
    "text",
    [
        "internet mati",  # no site
        "jaringan Kantor Dinasti mati",  # not a whole word
        "Kecamatan Cibinongan putus",
        "xLengayang",
        "Kantor Dinas dan Kecamatan Cibinong mati",  # two sites: the reporter is asked
        "",
    ],
)
def test_no_site_or_two_sites_is_none(text: str) -> None:
    assert named_site(text, SITES) is None


def test_the_same_site_named_twice_is_that_site() -> None:
    assert named_site("Lengayang mati, di Lengayang juga", SITES) == "Lengayang"


def test_no_sites_configured_names_none() -> None:
    assert named_site("Kantor Dinas mati", ()) is None


def test_a_site_button_names_its_site_not_its_place_and_fits_the_callback_data() -> None:
    shuffled = ("Kecamatan Bayang", *reversed(SITES))
    for name in SITES:
        data = buttons.make("lap", 0, buttons.key(name))
        cb = buttons.parse(data)
        assert cb is not None and buttons.find(shuffled, cb.action, str) == name
    assert len({buttons.key(n) for n in SITES}) == len(SITES)
    assert buttons.key("kantor  DINAS") == buttons.key("Kantor Dinas")  # as names are compared
    assert buttons.find(SITES, buttons.key("Kecamatan Bayang"), str) is None  # removed: stale


STAFF = """
[[sites]]
name = "Kantor Dinas"

[[staff]]
telegram_id = 7001
name = "Rina"
site = "{site}"
"""


def test_a_staff_site_must_be_a_configured_site() -> None:
    config = parse_config(STAFF.format(site="Kantor Dinas"), "t.toml", model=OfficeConfig)
    assert config.staff_site(7001) == "Kantor Dinas"
    assert config.staff_site(7002) is None
    with pytest.raises(ConfigError) as info:
        parse_config(STAFF.format(site="Kantor Dinsa"), "t.toml", model=OfficeConfig)
    assert "staff[0].site: 'Kantor Dinsa' is not the name of any [[sites]] entry" in str(info.value)
    worded = setup_error("id", info.value, "t.toml")
    assert "netmaint tidak dapat mulai: perbaiki t.toml" in worded
    assert "staff[0].site: nilainya tidak sesuai" in worded and "Kantor Dinas" in worded
