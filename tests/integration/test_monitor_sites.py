"""Monitoring per site: each site watches only names its own agent has (issue 18).

The real agent runs on loopback over HTTPS. A kecamatan whose agent has no target
called "gateway" used to be asked for it every minute: the agent refused (422), the
refusal counted as the site being down, and the ADB was paged about a fault that
did not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import trustme

from bot.agents import agent_lookup
from bot.settings.office import Monitor, OfficeConfig, Site
from bot.sop.monitor import SERVICE, TARGET, agent_probe
from checks.config import ConfigError, ServiceCheck, Target, parse_config
from tests.support import REPO
from tests.support.agent import (
    TOKEN,
    AgentProcess,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)

OWN, DEFAULT = "Kecamatan Tarusan", "Kecamatan Lengayang"
TOKEN_ENV = "TARUSAN_AGENT_TOKEN"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    """An agent with targets "lokal" and "lokal-dua" and the service "agen-sendiri"."""
    workdir = tmp_path_factory.mktemp("agent-names")
    ca_file, cert_file, key_file = write_tls_files(workdir / "tls", trustme.CA())
    port = free_port()
    config = loopback_config(tls=(cert_file, key_file), service_port=port, ping_count=1)
    running = start_agent(workdir, config, port=port, ca_file=ca_file)
    yield running
    running.stop()


def office(agent: AgentProcess) -> OfficeConfig:
    """The bot's [monitor] watches its own gateway and SIAK service; one kecamatan names
    what it watches itself, the other takes [monitor]'s lists."""
    remote = {"agent_url": agent.url, "agent_token_env": TOKEN_ENV, "agent_ca_file": agent.ca_file}
    return OfficeConfig(
        targets=(Target(name="gateway", host="127.0.0.1"),),
        services=(ServiceCheck(name="SIAK web", host="127.0.0.1", port=free_port()),),
        monitor=Monitor(targets=("gateway",), services=("SIAK web",)),
        sites=(
            Site(
                name=OWN,
                monitor_targets=("lokal",),
                monitor_services=("agen-sendiri",),
                **remote,
            ),
            Site(name=DEFAULT, **remote),
        ),
    )


async def test_the_agent_says_which_names_it_checks(agent: AgentProcess) -> None:
    agent_for = agent_lookup(office(agent), {TOKEN_ENV: TOKEN})
    names = await agent_for(OWN).names()  # type: ignore[attr-defined]
    assert names is not None
    assert names.targets == ["lokal", "lokal-dua"] and names.services == ["agen-sendiri"]
    assert await agent_lookup(office(agent), {TOKEN_ENV: "wrong"})(OWN).names() is None  # type: ignore[attr-defined]


async def test_a_site_watches_its_own_names_on_its_agent(agent: AgentProcess) -> None:
    config = office(agent)
    assert config.monitor is not None
    probe = agent_probe(agent_lookup(config, {TOKEN_ENV: TOKEN}), config, config.monitor)
    seen = await probe(OWN)
    assert seen == {(TARGET, "lokal"): True, (SERVICE, "agen-sendiri"): True}


async def test_a_name_the_agent_lacks_is_named_with_the_fix_and_pages_nobody(
    agent: AgentProcess, caplog: pytest.LogCaptureFixture
) -> None:
    config = office(agent)
    assert config.monitor is not None
    probe = agent_probe(agent_lookup(config, {TOKEN_ENV: TOKEN}), config, config.monitor)
    with caplog.at_level(logging.ERROR, logger="bot.sop.monitor"):
        first = await probe(DEFAULT)
        second = await probe(DEFAULT)
    assert first == second == {}, "nothing it lacks is counted as down"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, "said once, at the first look"
    assert "target 'gateway'" in errors[0] and "service 'SIAK web'" in errors[0]
    assert DEFAULT in errors[0] and "monitor_targets" in errors[0]


def test_a_sites_own_names_must_exist_where_its_checks_run() -> None:
    toml = '[[targets]]\nname = "gateway"\nhost = "127.0.0.1"\n[monitor]\ntargets = ["gateway"]\n'
    bad = toml + '[[sites]]\nname = "Kantor Dinas"\nmonitor_targets = ["gerbang"]\n'
    with pytest.raises(ConfigError, match=r"sites\[0\]\.monitor_targets: 'gerbang'"):
        parse_config(bad, "x.toml", model=OfficeConfig)
    # On an agent's site the names are the agent's: checked against it at start instead.
    remote = toml + (
        '[[sites]]\nname = "Kecamatan"\nagent_url = "https://10.0.0.5:8443"\n'
        'monitor_targets = ["gerbang"]\n'
    )
    assert parse_config(remote, "x.toml", model=OfficeConfig).sites[0].monitor_targets == (
        "gerbang",
    )


def test_the_example_config_shows_a_sites_own_watch_list() -> None:
    text = (REPO / "netmaint.example.toml").read_text()
    assert "monitor_targets" in text and "monitor_services" in text
