"""SOP step 4, "Menge'ping' ke alamat IP yang dituju": ping every target at once.

Targets come from ``[[targets]]``; with none configured, the machine's own
default gateway and DNS servers. The details say which ICMP privilege mode
was used and how precise the RTTs are, because both change what a reader
may conclude from the numbers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

from checks import sysnet
from checks.config import CheckConfig, Thresholds
from checks.icmp import KERNEL_PRECISION_MS, HostStats, detect_mode, sweep
from checks.models import CheckResult, Finding, Status
from checks.result import StepTimer

STEP = 4


@dataclass(frozen=True)
class PingTarget:
    """A host to ping and why: role is "gateway", "dns" or "target"."""

    name: str
    host: str
    role: str = "target"


def default_targets() -> list[PingTarget]:
    """The machine's default gateways and DNS servers, from local files only."""
    targets = [PingTarget("gateway", r.gateway, "gateway") for r in sysnet.default_routes()]
    targets += [PingTarget("DNS", a, "dns") for a in sysnet.dns_servers()]
    return targets


def configured_targets(config: CheckConfig) -> list[PingTarget]:
    """Config targets, with roles: the gateway (configured or actual) and DNS servers."""
    gateways = {r.gateway for r in sysnet.default_routes()}
    if config.network.gateway:
        gateways.add(config.network.gateway)
    dns = set(config.network.dns) | set(sysnet.dns_servers())
    out = []
    for t in config.targets:
        role = "gateway" if t.host in gateways else "dns" if t.host in dns else "target"
        out.append(PingTarget(t.name, t.host, role))
    return out


async def _resolve(host: str) -> str | None:
    """An IP literal as is; a name through the system resolver (the operator configured it)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_RAW), 5
        )
    except (OSError, TimeoutError):
        return None
    return str(infos[0][4][0]) if infos else None


def _evaluate(t: PingTarget, s: HostStats, th: Thresholds) -> list[Finding]:
    params: dict[str, str | int | float | bool | None] = {
        "name": t.name,
        "host": t.host,
        "role": t.role,
    }
    if s.error == "no_route" and not s.alive:
        return [Finding(code="ping.no_route", severity=Status.FAIL, subject=t.name, params=params)]
    if s.error == "unreachable" and not s.alive:
        return [
            Finding(code="ping.unreachable", severity=Status.FAIL, subject=t.name, params=params)
        ]
    if not s.alive:
        return [Finding(code="ping.no_reply", severity=Status.FAIL, subject=t.name, params=params)]
    found = []
    if s.loss_pct >= th.ping_loss_warn_pct:
        sev = Status.FAIL if s.loss_pct >= th.ping_loss_fail_pct else Status.WARN
        found.append(
            Finding(
                code="ping.loss",
                severity=sev,
                subject=t.name,
                params={**params, "loss_pct": s.loss_pct},
            )
        )
    avg = s.summary()["avg_ms"]
    assert isinstance(avg, float)
    if avg >= th.ping_rtt_warn_ms:
        sev = Status.FAIL if avg >= th.ping_rtt_fail_ms else Status.WARN
        found.append(
            Finding(
                code="ping.slow", severity=sev, subject=t.name, params={**params, "avg_ms": avg}
            )
        )
    return found


async def check_ping(config: CheckConfig, targets: list[PingTarget] | None = None) -> CheckResult:
    """Ping all targets concurrently and judge loss and RTT against the thresholds."""
    timer = StepTimer(STEP)
    if targets is None:
        targets = configured_targets(config) if config.targets else default_targets()
    mode = detect_mode()
    details: dict[str, object] = {
        "mode": mode.name,
        "ping_group_range": mode.ping_group_range,
        "fell_back_to_privileged": mode.fell_back,
    }
    if not mode.available:
        f = Finding(
            code="ping.unavailable",
            severity=Status.UNAVAILABLE,
            params={"ping_group_range": mode.ping_group_range, "gid": mode.gid, "uid": mode.uid},
        )
        return timer.result(
            "ICMP unavailable: no unprivileged or raw socket",
            [f],
            details,
            status=Status.UNAVAILABLE,
        )
    if not targets:
        f = Finding(code="ping.no_targets", severity=Status.UNAVAILABLE)
        return timer.result(
            "nothing to ping: no targets, gateway or DNS", [f], details, status=Status.UNAVAILABLE
        )

    addresses = await asyncio.gather(*(_resolve(t.host) for t in targets))
    th = config.thresholds
    stats = await sweep(
        [a for a in addresses if a],
        count=th.ping_count,
        interval=th.ping_interval_s,
        timeout_s=th.ping_timeout_s,
        privileged=mode.privileged,
    )
    findings: list[Finding] = []
    rows = []
    kernel_ts = True
    for t, addr in zip(targets, addresses, strict=True):
        row: dict[str, object] = {"name": t.name, "host": t.host, "role": t.role}
        if addr is None:
            row["error"] = "unresolved"
            findings.append(
                Finding(
                    code="ping.unresolved",
                    severity=Status.FAIL,
                    subject=t.name,
                    params={"name": t.name, "host": t.host, "role": t.role},
                )
            )
        else:
            s = stats[addr]
            kernel_ts = kernel_ts and (s.kernel_timestamps or not s.alive)
            row.update(s.summary())
            findings += _evaluate(t, s, th)
        rows.append(row)
    # Userspace receive times include event-loop delay, so no precision can be promised.
    details["rtt_timestamps"] = "kernel" if kernel_ts else "userspace"
    precisions = [float(p) for r in rows if isinstance(p := r.get("precision_ms"), int | float)]
    details["rtt_precision_ms"] = max([KERNEL_PRECISION_MS, *precisions]) if kernel_ts else None
    details.update(
        count=th.ping_count,
        interval_s=th.ping_interval_s,
        timeout_s=th.ping_timeout_s,
        targets=rows,
    )
    alive = sum(1 for r in rows if r.get("received"))
    return timer.result(f"{alive}/{len(rows)} targets answer ({mode.name} ICMP)", findings, details)
