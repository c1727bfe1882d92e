"""TCP connect probes for the service checks of SOP steps 2 and 5.

A probe that fails is data: every outcome (open, refused, silent, no route,
name not found) is a ``TcpOutcome``. Concurrency follows the fd limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from checks.config import ServiceCheck
from checks.limits import fd_budget
from checks.models import Finding, Status

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}


@dataclass(frozen=True)
class TcpOutcome:
    """What one connect attempt found: open, closed, timeout, unreachable, unresolved, error."""

    state: str
    connect_ms: float | None = None
    error: str = ""


async def probe(host: str, port: int, timeout_s: float) -> TcpOutcome:
    """Try one TCP connection and close it at once."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return TcpOutcome("timeout", error=f"no answer within {timeout_s:g} s")
    except ConnectionRefusedError:
        return TcpOutcome("closed", error="connection refused")
    except socket.gaierror as exc:
        return TcpOutcome("unresolved", error=str(exc))
    except OSError as exc:
        state = "unreachable" if exc.errno in _UNREACHABLE else "error"
        return TcpOutcome(state, error=f"{type(exc).__name__}: {exc}")
    elapsed = (time.perf_counter() - start) * 1000
    writer.close()
    with contextlib.suppress(OSError):  # a reset while closing: it was still open
        await writer.wait_closed()
    return TcpOutcome("open", connect_ms=round(elapsed, 3))


async def probe_many(endpoints: Sequence[tuple[str, int]], timeout_s: float) -> list[TcpOutcome]:
    """Probe all endpoints concurrently, at most as many at once as the fd limit allows."""
    limit = asyncio.Semaphore(fd_budget())

    async def one(host: str, port: int) -> TcpOutcome:
        async with limit:
            return await probe(host, port, timeout_s)

    return list(await asyncio.gather(*(one(h, p) for h, p in endpoints)))


_CODES = {
    "closed": ("service.closed", Status.FAIL),
    "timeout": ("service.timeout", Status.FAIL),
    "unreachable": ("service.unreachable", Status.FAIL),
    "unresolved": ("service.unresolved", Status.FAIL),
    "error": ("service.error", Status.FAIL),
}


async def check_tcp_services(
    services: Sequence[ServiceCheck], timeout_s: float
) -> tuple[list[Finding], list[dict[str, object]]]:
    """Probe configured services; findings for those not accepting, details for all."""
    outcomes = await probe_many([(s.host, s.port) for s in services], timeout_s)
    findings: list[Finding] = []
    details: list[dict[str, object]] = []
    for svc, out in zip(services, outcomes, strict=True):
        details.append(
            {
                "name": svc.name,
                "host": svc.host,
                "port": svc.port,
                "state": out.state,
                "connect_ms": out.connect_ms,
                "error": out.error,
            }
        )
        if out.state != "open":
            code, severity = _CODES[out.state]
            findings.append(
                Finding(
                    code=code,
                    severity=severity,
                    subject=svc.name,
                    params={
                        "name": svc.name,
                        "host": svc.host,
                        "port": svc.port,
                        "error": out.error,
                    },
                )
            )
    return findings, details
