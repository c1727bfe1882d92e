"""Where the break is, as the Dinas sees it through each kecamatan's agent (issue 21).

The bot's side (this test thread, ``entered``) sits in the router's namespace, the
Dinas's network; each kecamatan's server runs the real agent in its own namespace,
listening on its LAN address, with the parts' addresses as its checks. The bot's
``RemoteAgent`` asks each over real routing; ``Paths.locate`` reads the reports.
A shared part down is named at both sites; a kecamatan's LAN down leaves its agent
unreachable, so its break cannot be told yet, while the other site is whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from bot.agents import agent_lookup
from bot.domain.path import Break
from bot.settings.office import OfficeConfig
from bot.sop.fault import Paths
from checks.config import parse_config
from tests.support.agent import (
    AGENT_COMMAND,
    TOKEN,
    AgentProcess,
    start_agent,
    write_tls_files,
)
from tests.support.netns import IP, require_netns
from tests.support.topology import (
    LAN,
    NAMED,
    SITES,
    Topology,
    checks_toml,
    entered,
    office_toml,
    server,
    topology,
)

PORT = 8443  # each agent in its own namespace: the same port everywhere


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Topology, OfficeConfig]]:
    require_netns()
    with topology(sites=2) as t:
        agents: list[AgentProcess] = []
        ca = trustme.CA()
        try:
            with entered(t.router):
                for i in (0, 1):
                    work = tmp_path_factory.mktemp(f"agent{i}")
                    ca_file, cert, key = write_tls_files(work / "tls", ca, hosts=(server(i),))
                    agents.append(
                        start_agent(
                            work,
                            checks_toml(2) + f'[agent]\ntls_cert = "{cert}"\ntls_key = "{key}"\n',
                            port=PORT,
                            host=server(i),
                            ca_file=ca_file,
                            command=(IP, "netns", "exec", t.site(i).name, *AGENT_COMMAND),
                        )
                    )
            text = office_toml(2, agents=[(a.url, a.ca_file) for a in agents if a.ca_file])
            yield t, parse_config(text, "path.toml", model=OfficeConfig)
        finally:
            for a in agents:
                a.stop()


async def located(net: tuple[Topology, OfficeConfig]) -> list[Break | None]:
    """Each site's break, from its agent's report, asked from the Dinas."""
    t, config = net
    environ = {f"SITE{i}_AGENT_TOKEN": TOKEN for i in (0, 1)}
    agent_for = agent_lookup(config, environ)
    out = []
    with entered(t.router):
        for site in SITES:
            report = await agent_for(site).diagnose()
            out.append(Paths(config).locate(site, report.results))
    return out


def names(found: list[Break | None]) -> list[str | None]:
    return [b.part.name if b and b.part else None for b in found]


async def test_a_whole_path_names_nothing_at_either_site(
    net: tuple[Topology, OfficeConfig],
) -> None:
    found = await located(net)
    assert all(b is not None and not b.found and b.unknown is None for b in found), found


@pytest.mark.parametrize("part", ["isp", "vpn", "pusat"])
async def test_a_shared_part_down_is_named_by_both_agents(
    net: tuple[Topology, OfficeConfig], part: str
) -> None:
    net[0].break_part(part)
    try:
        found = await located(net)
    finally:
        net[0].mend()
    assert names(found) == [NAMED[part]] * 2


async def test_a_kecamatan_lan_down_cannot_be_told_there_and_spares_the_other(
    net: tuple[Topology, OfficeConfig], tmp_path: Path
) -> None:
    net[0].break_part("lan", site=0)
    try:
        tarusan, batang_kapas = await located(net)
    finally:
        net[0].mend()
    assert tarusan is not None and tarusan.unknown is not None
    assert tarusan.unknown.name == LAN[0] and not tarusan.found
    assert batang_kapas is not None and not batang_kapas.found
