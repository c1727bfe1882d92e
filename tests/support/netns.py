"""Network namespaces that tests create and remove themselves, for silent hosts.

This kernel has no ``dummy`` driver, so a namespace gets a veth pair and
permanent neighbour entries for addresses in 198.51.100.0/24 (TEST-NET-2):
packets to them leave v0, arrive on v1 addressed to a MAC nobody owns, and
vanish, so pings and TCP connects time out. A namespace with only ``lo`` up
gives "no route". ``net.ipv4.ping_group_range`` is per namespace, so tests
may change it inside one without touching the machine.

Reuse: ``with netns(silent=[...]) as ns: ns.python("-m", "bot.cli.diagnose", ...)``;
``netns_unavailable()`` gives the skip reason when the machine cannot do it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.support import REPO

NS_SWEEP = Path(__file__).with_name("ns_sweep.py")  # run inside a namespace
SUBNET_ADDRESS = "198.51.100.1/24"  # the namespace's own address on v0
IP = shutil.which("ip") or "ip"


def _ip(*args: str) -> None:
    subprocess.run([IP, *args], check=True, capture_output=True, timeout=10)


@cache
def netns_unavailable() -> str | None:
    """Why this machine cannot create network namespaces, or None if it can."""
    if shutil.which("ip") is None:
        return "iproute2 'ip' command not installed (apt-get install iproute2)"
    name = f"nmt-probe-{os.getpid()}"
    try:
        _ip("netns", "add", name)
    except (subprocess.CalledProcessError, OSError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        return f"cannot create a network namespace (needs root): {err.decode().strip() or exc}"
    with contextlib.suppress(subprocess.CalledProcessError):
        _ip("netns", "del", name)
    return None


@dataclass
class Netns:
    """A namespace made for one test."""

    name: str

    def run(
        self,
        *argv: str,
        drop_net_raw: bool = False,
        timeout: float = 60,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace (optionally without CAP_NET_RAW)."""
        prefix = [IP, "netns", "exec", self.name]
        if drop_net_raw:
            prefix += ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"]
        return subprocess.run(
            [*prefix, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or REPO,
            env=env,
        )

    def python(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run this venv's Python inside the namespace."""
        return self.run(sys.executable, *args, **kw)

    def ip(self, *args: str) -> None:
        """Run ``ip -n NAME ...`` (e.g. ``ns.ip("link", "set", "v1", "down")``)."""
        _ip("-n", self.name, *args)

    def sysctl(self, key: str, value: str) -> None:
        """Set a per-namespace sysctl (e.g. net.ipv4.ping_group_range)."""
        proc = self.run("sysctl", "-w", f"{key}={value}")
        assert proc.returncode == 0, proc.stderr

    def sweep(self, addresses: Sequence[str], **opts: Any) -> dict[str, Any]:
        """Run ``tests/support/ns_sweep.py`` in the namespace and return its JSON output."""
        proc = self.python(str(NS_SWEEP), json.dumps({"addresses": list(addresses), **opts}))
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)


@contextlib.contextmanager
def netns(
    silent: Sequence[str] = (),
    *,
    veth: bool = True,
    gateway: str | None = None,
    resolv: str | None = None,
) -> Iterator[Netns]:
    """Create a namespace with lo up and (``veth``) silent 198.51.100.x hosts; remove it after.

    ``gateway`` adds a default route via that address; ``resolv`` becomes the
    namespace's /etc/resolv.conf (``ip netns exec`` bind-mounts it).
    """
    name = f"nmt-{os.getpid()}-{secrets.token_hex(3)}"
    etc = Path("/etc/netns") / name
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        if veth:
            _ip("-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
            _ip("-n", name, "link", "set", "v1", "up")
            _ip("-n", name, "link", "set", "v0", "up")
            _ip("-n", name, "addr", "add", SUBNET_ADDRESS, "dev", "v0")
            for i, addr in enumerate([*silent, *([gateway] if gateway else [])]):
                mac = f"02:00:00:00:{(i >> 8) & 0xFF:02x}:{i & 0xFF:02x}"
                _ip(
                    "-n",
                    name,
                    "neigh",
                    "replace",
                    addr,
                    "lladdr",
                    mac,
                    "dev",
                    "v0",
                    "nud",
                    "permanent",
                )
            if gateway:
                _ip("-n", name, "route", "add", "default", "via", gateway)
        if resolv is not None:
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "resolv.conf").write_text(resolv, encoding="utf-8")
        yield Netns(name)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("netns", "del", name)
        shutil.rmtree(etc, ignore_errors=True)


def silent_hosts(n: int, start: int = 10) -> list[str]:
    """``n`` addresses in 198.51.100.0/24 that a ``netns(silent=...)`` drops."""
    return [f"198.51.100.{start + i}" for i in range(n)]


def require_netns() -> None:
    """Skip the calling test, with the reason, when namespaces cannot be created."""
    import pytest

    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)


def diagnose_in(
    ns: Netns, config: str | None, *args: str, cwd: Path, drop_net_raw: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``netmaint diagnose`` inside ``ns`` from ``cwd`` with ``config`` text (None: no file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETMAINT_")}
    argv = ["-m", "bot.cli.diagnose", *args]
    if config is not None:
        path = cwd / "netmaint.toml"
        path.write_text(config, encoding="utf-8")
        argv += ["--config", str(path)]
    return ns.python(*argv, cwd=cwd, env=env, drop_net_raw=drop_net_raw)
