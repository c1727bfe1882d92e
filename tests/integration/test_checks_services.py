"""SOP steps 2 and 5 against real TCP listeners, real processes and a silent host."""

from __future__ import annotations

import asyncio
import json
import resource
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from checks.config import CheckConfig, Process, ServiceCheck, Unit
from checks.limits import open_fds
from checks.models import Status
from checks.services import check_services
from checks.software import check_software
from checks.tcp import probe_many
from tests.support.netns import diagnose_in, netns, require_netns, silent_hosts


@pytest.fixture
async def listener() -> AsyncIterator[int]:
    """A real TCP server on 127.0.0.1; yields its port."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_software_services_open_and_closed(listener: int) -> None:
    dead = closed_port()
    cfg = CheckConfig(
        services=(
            ServiceCheck(name="SIAK web", port=listener, software=True),
            ServiceCheck(name="Oracle", port=dead, software=True),
            ServiceCheck(name="not step 2", port=dead),
        )
    )
    result = await check_software(cfg)
    assert result.step == 2
    assert result.status == Status.FAIL
    assert [(f.code, f.params["port"]) for f in result.findings] == [("service.closed", dead)]
    rows = {r["name"]: r["state"] for r in result.details["services"]}
    assert rows == {"SIAK web": "open", "Oracle": "closed"}


async def test_software_all_open_is_ok(listener: int) -> None:
    cfg = CheckConfig(services=(ServiceCheck(name="Oracle", port=listener, software=True),))
    result = await check_software(cfg)
    assert result.status == Status.OK
    assert result.findings == ()


async def test_nothing_configured_is_unavailable_not_ok() -> None:
    assert (await check_software(CheckConfig())).status == Status.UNAVAILABLE
    assert (await check_services(CheckConfig())).status == Status.UNAVAILABLE


async def test_processes_running_and_missing() -> None:
    me = psutil.Process().name()
    cfg = CheckConfig(processes=(Process(name=me), Process(name="no-such-daemon-xyz")))
    result = await check_services(cfg)
    assert result.status == Status.FAIL
    assert [f.params["name"] for f in result.findings if f.code == "process.missing"] == [
        "no-such-daemon-xyz"
    ]
    running = {r["name"]: r["running"] for r in result.details["processes"]}
    assert running[me] >= 1


async def test_tcp_service_in_step_5(listener: int) -> None:
    cfg = CheckConfig(
        services=(
            ServiceCheck(name="app", port=listener),
            ServiceCheck(name="gone", port=closed_port()),
        )
    )
    result = await check_services(cfg)
    assert [f.code for f in result.findings] == ["service.closed"]
    assert result.findings[0].subject == "gone"


async def test_unit_without_systemctl_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = await check_services(CheckConfig(units=(Unit(name="ssh.service"),)))
    assert [f.code for f in result.findings] == ["unit.unavailable"]
    assert result.status == Status.UNAVAILABLE


async def test_many_probes_under_a_low_fd_limit_all_get_an_answer() -> None:
    """Trap: concurrency bounded by ulimit -n, so no probe fails with EMFILE."""
    dead = closed_port()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_fds() + 30, hard))
        outcomes = await probe_many([("127.0.0.1", dead)] * 300, timeout_s=2.0)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert {o.state for o in outcomes} == {"closed"}


def test_silent_service_times_out(tmp_path: Path) -> None:
    require_netns()
    host = silent_hosts(1)[0]
    cfg = (
        f'[[services]]\nname = "Oracle"\nhost = "{host}"\nport = 1521\nsoftware = true\n'
        "[thresholds]\ntcp_timeout_s = 0.5\n"
    )
    with netns(silent=[host]) as ns:
        proc = diagnose_in(ns, cfg, "--json", "--step", "2", cwd=tmp_path)
    step = json.loads(proc.stdout)["results"][0]
    assert [f["code"] for f in step["findings"]] == ["service.timeout"]
    assert proc.returncode == 2
