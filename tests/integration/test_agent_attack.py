"""Issue 14: the agent cannot be silenced by whoever reaches its port.

The real agent process over TLS on loopback, ``allow = ["127.0.0.1"]``. The
strangers connect from 127.0.0.2 (outside allow; Linux routes all of 127/8 to
lo) and hold their sockets idle; the slow clients connect from 127.0.0.1 (inside
allow), finish the TLS handshake and then send a request head a byte at a
time. Meanwhile the bot's ``RemoteAgent`` asks for full diagnoses without
retrying. Counts are asserted, not speeds; the only times asserted are lower
bounds (a slow client is not cut before its header timeout).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from bot.agents import RemoteAgent
from bot.settings.office import Site
from checks.agent.api import ErrorBody
from checks.agent.guard import parse_allow
from checks.agent.listener import Gate, gated_protocol, listen_socket, tls_context
from checks.agent.server import create_app
from checks.config import CheckConfig, parse_config
from checks.models import Report
from checks.runner import run_sop_checks
from tests.support.agent import (
    OUTSIDE_SOURCE,
    TOKEN,
    AgentProcess,
    AttackTally,
    free_port,
    idle_stranger,
    loopback_config,
    slow_header,
    start_agent,
    write_tls_files,
)

HEADER_TIMEOUT_S = 4
STRANGERS = 200
SLOW_CLIENTS = 50
DIAGNOSES = 6


def _outside_source_usable() -> bool:
    try:
        with socket.socket() as s:
            s.bind((OUTSIDE_SOURCE, 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _outside_source_usable(), reason=f"cannot bind {OUTSIDE_SOURCE} (needs Linux's 127/8 on lo)"
)


@pytest.fixture
def guarded_agent(tmp_path: Path) -> Iterator[AgentProcess]:
    ca_file, cert, key = write_tls_files(tmp_path / "tls", trustme.CA())
    port = free_port()
    config = loopback_config(
        allow=("127.0.0.1",),
        tls=(cert, key),
        service_port=port,
        limits={"header_timeout_s": HEADER_TIMEOUT_S, "idle_timeout_s": 2, "queue_wait_s": 5},
    )
    running = start_agent(tmp_path / "agent", config, port=port, ca_file=ca_file, log_level="info")
    yield running
    running.stop()


def _real_report(report: Report) -> bool:
    codes = {f.code for r in report.results for f in r.findings}
    return [r.step for r in report.results] == [2, 3, 4, 5, 6] and not any(
        c.startswith("agent.") for c in codes
    )


async def test_strangers_and_slow_heads_do_not_keep_the_bot_out(
    guarded_agent: AgentProcess,
) -> None:
    port = int(guarded_agent.url.rsplit(":", 1)[1])
    client_tls = ssl.create_default_context(cafile=str(guarded_agent.ca_file))
    tally = AttackTally()
    stop = asyncio.Event()
    bot = RemoteAgent(
        Site(name="SIAK", agent_url=guarded_agent.url, agent_ca_file=guarded_agent.ca_file),
        TOKEN,
        attempts=1,  # no retry: every diagnosis must get through the first time
    )
    async with asyncio.timeout(25):
        strangers = [
            asyncio.create_task(idle_stranger("127.0.0.1", port, tally, stop))
            for _ in range(STRANGERS)
        ]
        slow = [
            asyncio.create_task(
                slow_header("127.0.0.1", port, tally, client_tls, give_up_s=HEADER_TIMEOUT_S * 3)
            )
            for _ in range(SLOW_CLIENTS)
        ]
        while tally.slow_connected < SLOW_CLIENTS or tally.outside_connects < STRANGERS:
            await asyncio.sleep(0.05)
        reports = await asyncio.gather(*(bot.diagnose() for _ in range(DIAGNOSES)))
        slow_open_while_served = tally.slow_open_now
        strangers_closed_by_then = len(tally.outside_closed_s)
        await asyncio.gather(*slow)
        stop.set()
        await asyncio.gather(*strangers)

    assert sum(_real_report(r) for r in reports) == DIAGNOSES
    assert slow_open_while_served == SLOW_CLIENTS  # the bot was served during the attack
    # every stranger's connection was closed by the agent, none was left open, and
    # 200 of them before any slow client reached its header timeout: at accept
    assert strangers_closed_by_then >= STRANGERS
    assert tally.outside_connects >= STRANGERS
    assert len(tally.outside_closed_s) == tally.outside_connects
    assert tally.outside_still_open == 0
    # every slow client was cut, and none before its header timeout
    assert len(tally.slow_closed_s) == SLOW_CLIENTS and tally.slow_still_open == 0
    assert min(tally.slow_closed_s) >= HEADER_TIMEOUT_S - 0.2
    assert tally.bytes_received == 0  # neither got a byte of HTTP
    output = guarded_agent.output()
    assert output.count(f"closed connections from {OUTSIDE_SOURCE}") == 1  # not one per try
    async with guarded_agent.async_client(timeout=10) as client:
        health = await client.get("/v1/health", headers=guarded_agent.headers())
    assert health.status_code == 200


async def test_an_idle_connection_from_inside_allow_is_closed_too(
    guarded_agent: AgentProcess,
) -> None:
    """An allowed address that connects and sends nothing is closed at the header timeout."""
    port = int(guarded_agent.url.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    started = loop.time()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)  # no TLS: just a socket
    async with asyncio.timeout(HEADER_TIMEOUT_S * 3):
        assert await reader.read(100) == b""
    writer.close()
    assert loop.time() - started >= HEADER_TIMEOUT_S - 0.2


def test_the_agents_tls_is_1_2_or_later_whatever_the_system_says(tmp_path: Path) -> None:
    _, cert, key = write_tls_files(tmp_path, trustme.CA())
    context = tls_context(cert, key)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2


def test_the_ipv6_wildcard_is_dual_stack() -> None:
    try:
        sock = listen_socket("::", 0)
    except OSError:
        pytest.skip("no IPv6 on this machine")
    with sock:
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
    with listen_socket("::1", 0) as only_v6:
        assert only_v6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
async def test_an_agent_on_the_ipv6_wildcard_serves_ipv4_and_ipv6(tmp_path: Path) -> None:
    """``host = "::"`` takes IPv4 clients as ::ffff:127.0.0.1, which allow matches as IPv4."""
    ca_file, cert, key = write_tls_files(tmp_path / "tls", trustme.CA())
    port = free_port("::1")
    config = loopback_config(allow=("127.0.0.1", "::1"), tls=(cert, key))
    running = start_agent(
        tmp_path / "agent", config, port=port, ca_file=ca_file, host="::", connect_host="::1"
    )
    try:
        for url in (f"https://127.0.0.1:{port}", f"https://[::1]:{port}"):
            async with httpx.AsyncClient(
                base_url=url, verify=running.verify(), trust_env=False, timeout=10
            ) as client:
                response = await client.get("/v1/health", headers=running.headers())
            assert response.status_code == 200, url
    finally:
        running.stop()


async def test_the_gate_is_uvicorns_own_protocol_class() -> None:
    """The gate is a ``http=`` class for uvicorn's Config, one per server (no global state)."""
    one = gated_protocol(Gate(parse_allow(["127.0.0.1"]), None, 5.0))
    two = gated_protocol(Gate((), None, 5.0))
    assert one.gate is not two.gate  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("queue_wait_s", "codes"), [(3.0, [200, 200, 200]), (0.1, [200, 503, 503])]
)
async def test_requests_past_max_concurrent_queue_then_get_the_json_503(
    queue_wait_s: float, codes: list[int]
) -> None:
    """One slot, three diagnoses of 0.4 s each: a long enough queue serves all of them."""

    async def slow_runner(config: CheckConfig, steps: object) -> Report:
        await asyncio.sleep(0.4)
        return await run_sop_checks(config, steps=[3])

    text = loopback_config(max_concurrent=1, limits={"queue_wait_s": queue_wait_s})
    app = create_app(parse_config(text), TOKEN, run_checks=slow_runner)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        responses = await asyncio.gather(
            *(
                client.post("/v1/diagnose", headers={"Authorization": f"Bearer {TOKEN}"})
                for _ in range(3)
            )
        )
    assert sorted(r.status_code for r in responses) == codes
    for busy in (r for r in responses if r.status_code == 503):
        assert ErrorBody.model_validate_json(busy.content).error == "busy"
        assert busy.headers["retry-after"] == "1"
