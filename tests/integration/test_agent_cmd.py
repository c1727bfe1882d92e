"""``netmaint agent`` as an operator meets it: --check, refusals, the README's certificate."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
import trustme

from bot.agents import RemoteAgent
from bot.settings.office import Site
from checks.agent.server import create_app
from checks.config import parse_config
from tests.support.agent import (
    TOKEN,
    free_port,
    loopback_config,
    run_cli,
    start_agent,
    write_tls_files,
)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def test_check_prints_what_would_be_served(tmp_path: Path) -> None:
    _, cert, key = write_tls_files(tmp_path / "tls", trustme.CA())
    config = tmp_path / "agent.toml"
    config.write_text(loopback_config(tls=(cert, key), allow=("10.0.0.0/24", "127.0.0.1")))
    result = run_cli(
        ["--check", "--config", str(config), "--port", "9443"],
        tmp_path,
        {"AGENT_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "https://127.0.0.1:9443" in out and "this machine only" in out
    assert "they match" in out
    assert f"AGENT_TOKEN set ({len(TOKEN)} characters)" in out
    assert "10.0.0.0/24, 127.0.0.1 (others are closed at accept)" in out
    assert "TLS 1.2 or later" in out
    assert (
        "4 requests at once, others wait up to 5 s then get 503; request within 5 s of "
        "connecting; idle connections closed after 5 s; at most 64 open connections from "
        "one address; bodies up to 64 KiB"
    ) in out
    assert "lokal (127.0.0.1), lokal-dua (127.0.0.2)" in out
    assert "POST /v1/diagnose" in out
    assert TOKEN not in out + result.stderr


def test_the_token_can_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"AGENT_TOKEN={TOKEN}\n")
    (tmp_path / "netmaint.toml").write_text(loopback_config())
    result = run_cli(["--check"], tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert "config:    netmaint.toml" in result.stdout
    assert f"AGENT_TOKEN set ({len(TOKEN)} characters)" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


OFFICE_SECTIONS = """
[[sites]]
name = "Kantor Dinas"
agent_url = "https://10.20.1.5:8443"
[[vendors]]
name = "ISP"
[limits]
complaints_per_user = 3
"""


def test_the_agent_reads_the_offices_file_and_skips_the_bots_sections(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text(OFFICE_SECTIONS + loopback_config())
    result = run_cli(["--check"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert "config:    netmaint.toml (valid)" in result.stdout


def test_the_agent_still_names_a_misspelt_key_in_its_own_sections(tmp_path: Path) -> None:
    text = OFFICE_SECTIONS + loopback_config().replace("ping_count", "ping_cuont")
    (tmp_path / "netmaint.toml").write_text(text)
    result = run_cli(["--check"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "thresholds.ping_cuont" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize("check", [False, True], ids=["start", "check"])
def test_without_a_token_it_refuses_and_says_how_to_set_one(tmp_path: Path, check: bool) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(loopback_config())
    args = ["--config", str(config), "--port", str(free_port())] + (["--check"] if check else [])
    result = run_cli(args, tmp_path, {})
    assert result.returncode == 2
    assert "AGENT_TOKEN is not set" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr and ".env" in result.stderr
    _no_traceback(result)


def test_check_warns_when_the_allowlist_shuts_out_the_listener(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text(loopback_config(allow=("10.20.0.0/16",)))
    result = run_cli(["--check"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 0
    assert "admits no loopback address: every connection would be closed" in result.stdout


def test_check_says_that_the_ipv6_wildcard_serves_ipv4_too(tmp_path: Path) -> None:
    _, cert, key = write_tls_files(tmp_path / "tls", trustme.CA())
    (tmp_path / "netmaint.toml").write_text(loopback_config(tls=(cert, key)))
    for host, reach in [("::", "IPv6 and IPv4"), ("::1", "IPv6 clients only")]:
        result = run_cli(["--check", "--host", host], tmp_path, {"AGENT_TOKEN": TOKEN})
        assert result.returncode == 0, result.stderr
        assert reach in result.stdout


def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text(loopback_config())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(["--port", str(port)], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 1
    assert f"cannot listen on http://127.0.0.1:{port}" in result.stderr
    _no_traceback(result)


def test_a_short_token_is_refused(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text(loopback_config())
    short = "Zq7shrt"  # unlike any word of the messages, so a leak cannot hide among them
    result = run_cli(["--port", str(free_port())], tmp_path, {"AGENT_TOKEN": short})
    assert result.returncode == 2
    assert f"too short ({len(short)} characters" in result.stderr
    assert short not in result.stdout + result.stderr
    _no_traceback(result)


def test_listening_beyond_loopback_without_tls_is_refused(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text(loopback_config())
    result = run_cli(["--check", "--host", "0.0.0.0"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "without TLS" in result.stderr and "tls_cert" in result.stderr
    _no_traceback(result)


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    _, cert, _ = write_tls_files(tmp_path / "one", trustme.CA())
    _, _, other_key = write_tls_files(tmp_path / "two", trustme.CA())
    (tmp_path / "netmaint.toml").write_text(loopback_config(tls=(cert, other_key)))
    result = run_cli(["--check"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "key belongs to the certificate" in result.stderr
    _no_traceback(result)


def test_a_port_that_is_not_a_number_is_explained(tmp_path: Path) -> None:
    result = run_cli(["--check", "--port", "84a3"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "a port is a number from 1 to 65535" in result.stderr
    _no_traceback(result)


def test_a_wrong_config_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "netmaint.toml").write_text('[agent]\nallow = ["kantor"]\n')
    result = run_cli(["--check"], tmp_path, {"AGENT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "agent.allow" in result.stderr and "'kantor'" in result.stderr
    _no_traceback(result)


def test_a_client_outside_the_allowlist_is_closed_at_accept(tmp_path: Path) -> None:
    """No HTTP answer at all: the connection is closed before a byte is read."""
    port = free_port()
    config = loopback_config(allow=("10.9.8.0/24",), service_port=port)
    running = start_agent(tmp_path, config, port=port, ready_status=None)
    try:
        with running.client(timeout=10) as client:
            for _ in range(3):
                with pytest.raises(httpx.TransportError):
                    client.get("/v1/health", headers=running.headers())
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /v1/health HTTP/1.1\r\nHost: agent\r\n\r\n")
            assert _read_until_closed(raw) == b""
    finally:
        running.stop()
    output = running.output()
    assert "closed connections from 127.0.0.1: not in [agent] allow" in output
    assert output.count("not in [agent] allow") == 1  # once a minute, not once a try
    assert "GET /v1/health" not in output


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the peer sends before it closes (a reset counts as closed)."""
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    return data


@pytest.mark.parametrize(
    ("client", "status"),
    [("10.9.8.7", 200), ("::ffff:10.9.8.7", 200), ("10.9.9.7", 403), ("fe80::1", 403)],
)
async def test_the_allowlist_matches_networks(client: str, status: int) -> None:
    config = parse_config(loopback_config(allow=("10.9.8.0/24",)))
    transport = httpx.ASGITransport(app=create_app(config, TOKEN), client=(client, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as http:
        response = await http.get("/v1/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == status


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
async def test_the_readmes_self_signed_certificate_can_be_pinned(tmp_path: Path) -> None:
    key, cert = tmp_path / "agent.key", tmp_path / "agent.crt"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=netmaint-agent",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    port = free_port()
    config = loopback_config(tls=(cert, key), service_port=port)
    running = start_agent(tmp_path / "agent", config, port=port, ca_file=cert)
    try:
        site = Site(name="SIAK", agent_url=running.url, agent_ca_file=cert)
        report = await RemoteAgent(site, TOKEN).diagnose(steps=[3])
    finally:
        running.stop()
    assert [r.step for r in report.results] == [3]
    assert not [f for r in report.results for f in r.findings if f.code.startswith("agent.")]
