"""Where the break is, found over real routing (issue 21).

Two kecamatan reach SIAK through a router, an ISP and the data center, each a
network namespace (``tests/support/topology.py``), over real ICMP and TCP. The real
``netmaint diagnose`` runs inside a site's namespace with the parts' addresses as its
checks; the product's ``Paths.locate`` reads its report. Each part is taken down in
turn, as the fault would: the LAN gateway gone at the router, the office line, the VPN's
line into the data center, SIAK's port closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.path import Break
from bot.settings.office import OfficeConfig
from bot.sop.fault import Paths
from checks.config import parse_config
from checks.models import Report
from tests.support.netns import diagnose_in, require_netns
from tests.support.topology import PARTS, SITES, Topology, office_toml, part_name, topology


@pytest.fixture(scope="module")
def net() -> Iterator[Topology]:
    require_netns()
    with topology(sites=2) as t:
        yield t


def locate(net: Topology, site: int, tmp: Path) -> Break | None:
    """Run the diagnosis in site ``site``'s namespace; where its path breaks."""
    text = office_toml(sites=2)
    proc = diagnose_in(net.site(site), text, "--json", cwd=tmp)
    assert proc.returncode in (0, 1, 2), proc.stderr
    report = Report.model_validate_json(proc.stdout)
    paths = Paths(parse_config(text, "path.toml", model=OfficeConfig))
    return paths.locate(SITES[site], report.results)


def test_a_whole_path_names_no_part(net: Topology, tmp_path: Path) -> None:
    found = locate(net, 0, tmp_path)
    assert found is not None and not found.found and found.unknown is None


@pytest.mark.parametrize("part", PARTS)
def test_each_part_down_is_the_one_named(net: Topology, tmp_path: Path, part: str) -> None:
    net.break_part(part, site=0)
    try:
        found = locate(net, 0, tmp_path)
    finally:
        net.mend()
    assert found is not None and found.part is not None, found
    assert found.part.name == part_name(part) and found.part.kind == part
    assert found.outside_office == (part == "pusat")


def test_a_shared_part_is_named_at_every_site_a_lan_only_at_its_own(
    net: Topology, tmp_path: Path
) -> None:
    net.break_part("vpn")
    try:
        both = [locate(net, i, tmp_path) for i in (0, 1)]
    finally:
        net.mend()
    assert [b.part.name if b and b.part else None for b in both] == ["VPN SIAK"] * 2
    net.break_part("lan", site=0)
    try:
        tarusan, batang_kapas = locate(net, 0, tmp_path), locate(net, 1, tmp_path)
    finally:
        net.mend()
    assert tarusan is not None and tarusan.part is not None
    assert tarusan.part.name == "LAN Tarusan"
    assert batang_kapas is not None and not batang_kapas.found


def test_a_mended_path_names_nothing_again(net: Topology, tmp_path: Path) -> None:
    net.break_part("isp")
    net.mend()
    found = locate(net, 1, tmp_path)
    assert found is not None and not found.found
