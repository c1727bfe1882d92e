"""The real agent process over plain HTTP on loopback: tokens, bodies, limits, answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.agents import RemoteAgent
from bot.settings.office import Site
from checks.agent.server import create_app
from checks.config import CheckConfig, parse_config
from checks.models import Report
from tests.support.agent import TOKEN, AgentProcess, free_port, loopback_config, start_agent

MAX_CONCURRENT = 2


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    port = free_port()
    config = loopback_config(max_concurrent=MAX_CONCURRENT, service_port=port)
    running = start_agent(tmp_path_factory.mktemp("agent-http"), config, port=port)
    yield running
    running.stop()


@pytest.fixture
def client(agent: AgentProcess) -> Iterator[httpx.Client]:
    with agent.client(timeout=30) as c:
        yield c


def _is_error_json(response: httpx.Response, code: str) -> bool:
    body = response.json()
    return body["error"] == code and bool(body["message"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-of-a-decent-length"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "wrong", "longer", "basic-scheme", "empty"],
)
def test_health_refuses_without_the_right_token(client: httpx.Client, headers: dict) -> None:
    response = client.get("/v1/health", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _is_error_json(response, "unauthorized")


def test_every_endpoint_needs_the_token(client: httpx.Client) -> None:
    for method, path in [
        ("GET", "/v1/version"),
        ("GET", "/v1/names"),
        ("POST", "/v1/diagnose"),
        ("GET", "/v1/hardware"),
        ("GET", "/v1/openapi.json"),
        ("GET", "/docs"),
    ]:
        assert client.request(method, path).status_code == 401, path


def test_health_and_version_with_the_token(agent: AgentProcess, client: httpx.Client) -> None:
    assert client.get("/v1/health", headers=agent.headers()).json() == {"status": "ok"}
    version = client.get("/v1/version", headers=agent.headers()).json()
    assert version["name"] == "netmaint-agent"
    assert version["api"] == "v1"


def test_diagnose_returns_a_report_of_steps_2_to_6(
    agent: AgentProcess, client: httpx.Client
) -> None:
    response = client.post("/v1/diagnose", headers=agent.headers())
    assert response.status_code == 200
    report = Report.model_validate_json(response.content)
    assert [r.step for r in report.results] == [2, 3, 4, 5, 6]
    ping = report.result(4)
    assert ping is not None
    assert "lokal" in ping.model_dump_json() and "lokal-dua" in ping.model_dump_json()


def test_diagnose_runs_only_the_asked_steps_and_targets(
    agent: AgentProcess, client: httpx.Client
) -> None:
    response = client.post(
        "/v1/diagnose", headers=agent.headers(), json={"steps": [4], "targets": ["lokal-dua"]}
    )
    assert response.status_code == 200
    report = Report.model_validate_json(response.content)
    assert [r.step for r in report.results] == [4]
    text = report.model_dump_json()
    assert "127.0.0.2" in text and "127.0.0.1" not in text


def test_unknown_target_names_are_refused_and_named(
    agent: AgentProcess, client: httpx.Client
) -> None:
    response = client.post(
        "/v1/diagnose",
        headers=agent.headers(),
        json={"steps": [4], "targets": ["lokal", "kecamatan-x", "8.8.8.8"]},
    )
    assert response.status_code == 422
    assert _is_error_json(response, "unknown_target")
    assert response.json()["names"] == ["8.8.8.8", "kecamatan-x"]


def test_a_10_mb_body_is_refused_and_the_agent_stays_healthy(
    agent: AgentProcess, client: httpx.Client
) -> None:
    response = client.post(
        "/v1/diagnose", headers=agent.headers(), content=b"{" + b" " * (10 * 1024 * 1024)
    )
    assert response.status_code == 413
    assert _is_error_json(response, "too_large")
    assert client.get("/v1/health", headers=agent.headers()).status_code == 200


def test_a_chunked_body_past_the_limit_is_refused(
    agent: AgentProcess, client: httpx.Client
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 4096

    response = client.post("/v1/diagnose", headers=agent.headers(), content=chunks())
    assert response.status_code == 413
    assert client.get("/v1/health", headers=agent.headers()).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"steps": [2,', "invalid_json"),
        (b'{"steps": [1]}', "invalid_request"),
        (b'{"steps": "all"}', "invalid_request"),
        (b'{"steps": []}', "invalid_request"),
        (b'{"targets": ["a;rm -rf /"]}', "invalid_request"),
        (b'{"address": "10.0.0.1"}', "invalid_request"),
        (b"[2, 3]", "invalid_request"),
    ],
)
def test_malformed_requests_get_a_json_4xx(
    agent: AgentProcess, client: httpx.Client, body: bytes, code: str
) -> None:
    response = client.post(
        "/v1/diagnose",
        headers={**agent.headers(), "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 422
    assert _is_error_json(response, code)


def test_unknown_paths_and_methods_are_json(agent: AgentProcess, client: httpx.Client) -> None:
    missing = client.get("/v1/ping/8.8.8.8", headers=agent.headers())
    assert missing.status_code == 404 and _is_error_json(missing, "not_found")
    wrong = client.delete("/v1/diagnose", headers=agent.headers())
    assert wrong.status_code == 405 and _is_error_json(wrong, "method_not_allowed")


def test_hardware_snapshot(agent: AgentProcess, client: httpx.Client) -> None:
    response = client.get("/v1/hardware", headers=agent.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["step"] == 6 and body["name"] == "hardware"


async def test_a_burst_past_the_bound_waits_its_turn_and_is_served(
    agent: AgentProcess,
) -> None:
    """10 diagnoses at once, 2 at a time: the other 8 queue (``queue_wait_s``), none is 503."""
    limits = httpx.Limits(max_connections=20)
    async with agent.async_client(timeout=30, limits=limits) as client:
        responses = await asyncio.gather(
            *(
                client.post("/v1/diagnose", headers=agent.headers(), json={"steps": [4]})
                for _ in range(10)
            )
        )
    assert [r.status_code for r in responses] == [200] * 10
    for response in responses:
        Report.model_validate_json(response.content)


async def test_past_the_queue_wait_the_answer_is_the_agents_json_503(tmp_path: Path) -> None:
    """With almost no queue, the burst gets ``busy`` JSON from the Guard, never uvicorn's 503."""
    port = free_port()
    config = loopback_config(
        max_concurrent=2, service_port=port, ping_count=5, limits={"queue_wait_s": 0.2}
    )
    running = start_agent(tmp_path, config, port=port)
    try:
        async with running.async_client(timeout=30, limits=httpx.Limits(max_connections=40)) as c:
            responses = await asyncio.gather(
                *(
                    c.post("/v1/diagnose", headers=running.headers(), json={"steps": [4]})
                    for _ in range(30)
                )
            )
            after = await c.post("/v1/diagnose", headers=running.headers(), json={"steps": [4]})
    finally:
        running.stop()
    codes = sorted(r.status_code for r in responses)
    assert set(codes) == {200, 503}, codes
    assert codes.count(200) >= 2
    for busy in (r for r in responses if r.status_code == 503):
        assert _is_error_json(busy, "busy") and busy.headers["retry-after"] == "1"
        assert "none finished within 0.2 s" in busy.json()["message"]
    assert after.status_code == 200
    assert "Exceeded concurrency limit" not in running.output()


def test_the_token_never_reaches_the_agents_output(
    agent: AgentProcess, client: httpx.Client, tmp_path: Path
) -> None:
    client.get("/v1/health", headers=agent.headers())
    client.get("/v1/health", headers=agent.headers("nearly-" + TOKEN))
    client.post("/v1/diagnose", headers=agent.headers(), content=b"{bad")
    output = agent.output()
    assert "DEBUG" in output  # the agent runs at debug level: the most it ever logs
    assert "GET /v1/health" in output
    assert TOKEN not in output


async def test_a_crash_inside_the_agent_is_a_json_500_without_a_traceback() -> None:
    async def broken_runner(config: CheckConfig, steps: object) -> Report:
        raise RuntimeError("secret detail /etc/shadow")

    app = create_app(parse_config(loopback_config()), TOKEN, run_checks=broken_runner)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        response = await client.post("/v1/diagnose", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "Traceback" not in response.text and "shadow" not in response.text


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
async def test_the_agent_serves_on_ipv6_loopback(tmp_path: Path) -> None:
    port = free_port("::1")
    config = loopback_config(service_port=port, allow=("::1",))
    running = start_agent(tmp_path, config, port=port, host="::1")
    try:
        site = Site(name="SIAK", agent_url=running.url)
        report = await RemoteAgent(site, TOKEN).diagnose(steps=[2])
    finally:
        running.stop()
    assert running.url == f"http://[::1]:{port}"
    assert [r.step for r in report.results] == [2]
    assert not [f for r in report.results for f in r.findings if f.code.startswith("agent.")]


async def test_websockets_are_closed_unread() -> None:
    sent: list[dict] = []

    async def receive() -> dict:
        raise AssertionError("the guard must not read a websocket")

    async def send(message: dict) -> None:
        sent.append(message)

    app = create_app(parse_config(loopback_config()), TOKEN)
    scope = {"type": "websocket", "path": "/v1/health", "headers": [], "client": ("127.0.0.1", 1)}
    await app(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]
