"""Start the real ``netmaint agent`` as a subprocess on a loopback port, for tests and bench.

Every address here is 127.0.0.1: the config the agent gets pings and probes
loopback only, and it listens on loopback only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import trustme

from tests.support.loopback import free_port

TOKEN = "t0k3n-for-tests-" + "x" * 24  # fixed so a leak is easy to grep for


# The operator's command. ``[sys.executable, "-m", "checks.agent.cli"]`` runs the same
# parser and run() without the sibling subcommands (the bench compares the two).
AGENT_COMMAND = (sys.executable, "-m", "bot", "agent")


def write_tls_files(
    directory: Path, ca: trustme.CA, hosts: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")
) -> tuple[Path, Path, Path]:
    """A server certificate for ``hosts`` issued by ``ca``: (ca, cert chain, key) files."""
    directory.mkdir(parents=True, exist_ok=True)
    cert = ca.issue_cert(*hosts)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    for i, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(cert_file), append=i > 0)
    return ca_file, cert_file, key_file


def loopback_config(
    *,
    max_concurrent: int = 4,
    allow: tuple[str, ...] = (),
    tls: tuple[Path, Path] | None = None,
    service_port: int | None = None,
    ping_count: int = 3,
    limits: dict[str, float] | None = None,
    tcp_timeout_s: float = 1.0,
) -> str:
    """A TOML config whose targets and services are all on 127.0.0.1."""
    lines = [
        "[[targets]]",
        'name = "lokal"',
        'host = "127.0.0.1"',
        "[[targets]]",
        'name = "lokal-dua"',
        'host = "127.0.0.2"',
        "[thresholds]",
        f"ping_count = {ping_count}",
        "ping_interval_s = 0.2",
        "ping_timeout_s = 1.0",
        f"tcp_timeout_s = {tcp_timeout_s:g}",
    ]
    if service_port is not None:
        lines[0:0] = [
            "[[services]]",
            'name = "agen-sendiri"',
            'host = "127.0.0.1"',
            f"port = {service_port}",
        ]
    lines += ["[agent]", f"max_concurrent = {max_concurrent}"]
    lines += [f"{key} = {value}" for key, value in (limits or {}).items()]
    if allow:
        lines.append("allow = [" + ", ".join(f'"{a}"' for a in allow) + "]")
    if tls:
        lines += [f'tls_cert = "{tls[0]}"', f'tls_key = "{tls[1]}"']
    return "\n".join(lines) + "\n"


@dataclass
class AgentProcess:
    """A running agent: its URL, token, CA to trust, and captured output."""

    proc: subprocess.Popen[bytes]
    url: str
    token: str
    workdir: Path
    ca_file: Path | None = None
    _closed: bool = field(default=False, repr=False)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token if token is not None else self.token}"}

    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else False

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.verify(), trust_env=False, **kwargs)  # type: ignore[arg-type]

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url,
            verify=self.verify(),
            trust_env=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def output(self) -> str:
        """Everything the agent wrote to stdout and stderr so far."""
        return "".join(
            (self.workdir / name).read_text(errors="replace") for name in ("stdout", "stderr")
        )

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_agent(
    workdir: Path,
    config_text: str,
    *,
    token: str = TOKEN,
    port: int | None = None,
    ca_file: Path | None = None,
    log_level: str = "debug",
    ready_timeout_s: float = 20.0,
    ready_status: int | None = 200,
    command: tuple[str, ...] = AGENT_COMMAND,
    host: str = "127.0.0.1",
    connect_host: str | None = None,
) -> AgentProcess:
    """Run ``python -m bot agent`` with AGENT_TOKEN in its environment; wait until it answers.

    ``ready_status=None`` waits only until the port accepts TCP (for an agent that
    closes this client at accept); ``connect_host`` is the address the URL names,
    when the agent listens on another (``::``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "netmaint.toml"
    config.write_text(config_text)
    port = port or free_port(host)
    env = {k: v for k, v in os.environ.items() if k not in ("AGENT_TOKEN", "NETMAINT_CONFIG")}
    env["AGENT_TOKEN"] = token
    args = [*command, "--host", host, "--port", str(port)]
    args += ["--config", str(config), "--log-level", log_level]
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=out, stderr=err)
    scheme = "https" if ca_file else "http"
    connect_host = connect_host or host
    url_host = f"[{connect_host}]" if ":" in connect_host else connect_host
    agent = AgentProcess(proc, f"{scheme}://{url_host}:{port}", token, workdir, ca_file)
    deadline = time.monotonic() + ready_timeout_s
    with agent.client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the agent exited with {proc.returncode}:\n{agent.output()}")
            try:
                if ready_status is None:
                    socket.create_connection((connect_host, port), timeout=2.0).close()
                    return agent
                response = client.get("/v1/health", headers=agent.headers())
                if response.status_code == ready_status:
                    return agent
            except (httpx.TransportError, OSError):
                pass
            time.sleep(0.1)
    agent.stop()
    raise RuntimeError(f"the agent did not answer within {ready_timeout_s} s:\n{agent.output()}")


def run_cli(
    args: list[str], workdir: Path, env_extra: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """``netmaint agent <args>`` with a clean AGENT_TOKEN/NETMAINT_CONFIG environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("AGENT_TOKEN", "NETMAINT_CONFIG")}
    env.update(env_extra)
    return subprocess.run(
        [*AGENT_COMMAND, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---- the attack of issue 14: strangers' idle sockets and slow request heads ----

OUTSIDE_SOURCE = "127.0.0.2"  # Linux routes all of 127/8 to lo: an address outside allow


@dataclass
class AttackTally:
    """What the attackers saw; times are seconds from the start of each connect."""

    outside_connects: int = 0
    outside_closed_s: list[float] = field(default_factory=list)
    outside_still_open: int = 0
    slow_connected: int = 0
    slow_closed_s: list[float] = field(default_factory=list)
    slow_still_open: int = 0
    bytes_received: int = 0  # what any attacker got back; the agent should send nothing

    @property
    def slow_open_now(self) -> int:
        return self.slow_connected - len(self.slow_closed_s)


async def _closed_within(reader: asyncio.StreamReader, tally: AttackTally) -> None:
    """Returns when the agent closes the connection (EOF or reset), counting bytes sent."""
    try:
        while data := await reader.read(4096):
            tally.bytes_received += len(data)
    except OSError:  # a reset, or TLS torn down: closed all the same
        pass


async def idle_stranger(
    host: str, port: int, tally: AttackTally, stop: asyncio.Event, pause_s: float = 0.5
) -> None:
    """Connect from ``OUTSIDE_SOURCE``, send nothing, hold on; reconnect after each close."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        try:
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(OUTSIDE_SOURCE, 0)
            )
        except OSError:
            await asyncio.sleep(pause_s)
            continue
        tally.outside_connects += 1
        closing = asyncio.ensure_future(_closed_within(reader, tally))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({closing, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if closing.done():
            tally.outside_closed_s.append(loop.time() - started)
        else:
            closing.cancel()
            tally.outside_still_open += 1
        writer.close()
        await asyncio.sleep(pause_s)


async def slow_header(
    host: str,
    port: int,
    tally: AttackTally,
    context: ssl.SSLContext | None,
    byte_every_s: float = 0.5,
    give_up_s: float = 20.0,
) -> None:
    """Finish the TLS handshake, then send a request head one byte at a time."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=host if context else None
    )
    tally.slow_connected += 1
    head = b"GET /v1/health HTTP/1.1\r\nHost: agent\r\nX-Slow: " + b"z" * 1000
    closing = asyncio.ensure_future(_closed_within(reader, tally))
    try:
        for i in range(len(head)):
            if loop.time() - started > give_up_s:
                break
            try:
                writer.write(head[i : i + 1])
                await writer.drain()
            except OSError:
                break
            await asyncio.wait({closing}, timeout=byte_every_s)
            if closing.done():
                break
        await asyncio.wait({closing}, timeout=max(0.0, give_up_s - (loop.time() - started)))
    finally:
        if closing.done():
            tally.slow_closed_s.append(loop.time() - started)
        else:
            closing.cancel()
            tally.slow_still_open += 1
        writer.close()
