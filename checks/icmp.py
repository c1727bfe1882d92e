"""ICMP echo sweeps that never call a silent host alive, timed by the kernel.

Why not ``icmplib.async_multiping``: in privileged mode it opens one raw
socket per host, and every raw socket receives every ICMP packet (at 254
hosts about half the replies overflow the buffers), and it matches replies
on id and sequence only, with ids derived from the process id, so two sweeps
running at once (the bot and ``netmaint diagnose``) steal each other's
replies and report silent hosts alive. Its async receive also drops the
reply's source address, so the match cannot be checked.

So a sweep here uses icmplib for what it does well (opening the socket with
the right privilege and building and sending echo requests) and one socket
per address family for the whole sweep, like fping. A reply counts only if
its source is the address pinged, its sequence is one we sent, its payload
carries this sweep's random nonce and (raw sockets) its id is this sweep's.
RTTs come from kernel receive timestamps (``SO_TIMESTAMPNS``), so a busy
event loop does not inflate them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import ipaddress
import logging
import math
import os
import secrets
import socket
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from statistics import fmean

from icmplib import ICMPRequest, ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, ICMPSocketError, SocketPermissionError

log = logging.getLogger(__name__)

PING_GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")
# Linux asm-generic value; Python 3.11's socket module does not export it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC = struct.Struct("@qq")
_ECHO_REPLY = {4: 0, 6: 129}
_ERRORS = {4: {3, 11}, 6: {1, 3}}  # destination unreachable, time exceeded
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
_RETRY_SEND = {errno.EAGAIN, errno.ENOBUFS}
_RCVBUF = 4 * 1024 * 1024
# A send timestamp is taken in Python just before sendto(); the reply's is the
# kernel's. Normally the two agree to a few microseconds; when the thread is
# switched out around sendto() the gap is measured and reported per host.
KERNEL_PRECISION_MS = 0.1


# The kernel turns receive timestamping on for the whole system only after the
# first socket asks and a deferred work item runs; until then it stamps packets
# when they are *read*, which is exactly the event-loop delay we must not count.
# One socket kept open for the process keeps it on; a self-addressed datagram
# proves it is on before a sweep trusts the stamps.
_stamp_keeper: socket.socket | None = None
_STAMP_PROBE_S = 0.002


def kernel_stamping_ready(deadline_s: float = 0.25) -> bool:
    """True once the kernel stamps packets on arrival (checked once per process)."""
    global _stamp_keeper
    if _stamp_keeper is not None:
        return True
    if sys.platform != "linux":
        return False
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    kept = False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind(("127.0.0.1", 0))
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            sent_ns = time.time_ns()
            sock.sendto(b"t", sock.getsockname())
            time.sleep(_STAMP_PROBE_S)  # a read-time stamp would be at least this late
            _data, anc, _flags, _src = sock.recvmsg(16, socket.CMSG_SPACE(16))
            stamps = [
                _TIMESPEC.unpack_from(b)
                for lvl, kind, b in anc
                if lvl == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(b) >= 16
            ]
            if stamps and stamps[0][0] * 1_000_000_000 + stamps[0][1] - sent_ns < 1_000_000:
                _stamp_keeper, kept = sock, True
                atexit.register(sock.close)
                return True
    except OSError:
        return False
    finally:
        if not kept:
            sock.close()
    return False


@dataclass(frozen=True)
class IcmpMode:
    """Which ICMP sockets this process may open, found once per process."""

    name: str  # "unprivileged", "privileged" or "unavailable"
    ping_group_range: str  # the sysctl's value, e.g. "1 0"
    gid: int
    uid: int
    fell_back: bool  # unprivileged was refused and privileged is used instead

    @property
    def privileged(self) -> bool:
        return self.name == "privileged"

    @property
    def available(self) -> bool:
        return self.name != "unavailable"


def _read_group_range() -> str:
    try:
        return " ".join(PING_GROUP_RANGE.read_text(encoding="ascii").split())
    except OSError:
        return ""


def _can_open(privileged: bool) -> bool:
    try:
        ICMPv4Socket(privileged=privileged).close()
    except (SocketPermissionError, ICMPSocketError):
        return False
    return True


@cache
def detect_mode() -> IcmpMode:
    """Probe once whether unprivileged (datagram) ICMP works, else raw sockets.

    Unprivileged sockets need ``net.ipv4.ping_group_range`` to include the
    process's group; its default "1 0" refuses everyone, root included.
    Cached, so a sweep of many hosts does not fail once per host.
    """
    rng, gid, uid = _read_group_range(), os.getgid(), os.getuid()
    if _can_open(privileged=False):
        return IcmpMode("unprivileged", rng, gid, uid, fell_back=False)
    if _can_open(privileged=True):
        log.info(
            "unprivileged ICMP refused (net.ipv4.ping_group_range=%r, gid %d); using raw sockets",
            rng,
            gid,
        )
        return IcmpMode("privileged", rng, gid, uid, fell_back=True)
    log.warning(
        "ICMP unavailable: net.ipv4.ping_group_range=%r excludes gid %d and raw "
        "sockets need root or CAP_NET_RAW",
        rng,
        gid,
    )
    return IcmpMode("unavailable", rng, gid, uid, fell_back=False)


@dataclass
class HostStats:
    """Echoes sent to one address and what came back."""

    address: str
    sent: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    error: str = ""  # "no_route", "unreachable" or a send error; empty if none
    kernel_timestamps: bool = True
    # Upper bound of the send-time error: the widest gap between the timestamp
    # taken before sendto() and its return (a GIL switch or preemption there).
    send_gap_ms: float = 0.0

    @property
    def precision_ms(self) -> float:
        """How far each RTT may be off: kernel receive stamp plus the send-side gap."""
        return math.ceil(max(KERNEL_PRECISION_MS, self.send_gap_ms + 0.05) * 10) / 10

    @property
    def received(self) -> int:
        return len(self.rtts_ms)

    @property
    def loss_pct(self) -> float:
        return 100.0 if not self.sent else round(100.0 * (1 - self.received / self.sent), 1)

    @property
    def alive(self) -> bool:
        return self.received > 0

    def summary(self) -> dict[str, float | int | str | None]:
        r = self.rtts_ms
        jitter = fmean(abs(a - b) for a, b in pairwise(r)) if len(r) > 1 else 0.0
        return {
            "address": self.address,
            "sent": self.sent,
            "received": self.received,
            "loss_pct": self.loss_pct,
            "min_ms": round(min(r), 3) if r else None,
            "avg_ms": round(fmean(r), 3) if r else None,
            "max_ms": round(max(r), 3) if r else None,
            "jitter_ms": round(jitter, 3) if r else None,
            "error": self.error,
            "precision_ms": self.precision_ms if r else None,
        }


class _Pinger:
    """One ICMP socket of one address family serving a whole sweep."""

    def __init__(self, version: int, privileged: bool, hosts: dict[str, HostStats]) -> None:
        cls = ICMPv4Socket if version == 4 else ICMPv6Socket
        self.version = version
        self.privileged = privileged
        self.hosts = hosts
        self.icmp = cls(privileged=privileged)
        self.sock: socket.socket = self.icmp.sock
        self.sock.setblocking(False)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.kernel_ts = kernel_stamping_ready()
        except OSError:
            self.kernel_ts = False
        self.ident = secrets.randbelow(0xFFFF) + 1
        self.nonce = secrets.token_bytes(16)
        # (address, sequence) -> send time in ns (CLOCK_REALTIME, like the kernel's)
        self.pending: dict[tuple[str, int], int] = {}
        self.sending_done = False
        self.idle = asyncio.Event()
        self.timeout_ns = 0

    def send(self, address: str, seq: int) -> None:
        """Send one echo request; a local failure (no route) is recorded, not raised."""
        stats = self.hosts[address]
        request = ICMPRequest(address, self.ident, seq, payload=self.nonce)
        for _attempt in range(50):
            try:
                self.icmp.send(request)
            except ICMPLibError as exc:
                code = getattr(exc.__context__, "errno", None)
                if code in _RETRY_SEND:
                    self.drain()
                    time.sleep(0.0005)
                    continue
                stats.sent += 1
                stats.error = "no_route" if code in _NO_ROUTE else f"send: {exc}"
                return
            after_ns = time.time_ns()
            sent_ns = int(request.time * 1e9)  # icmplib stamps it right before sendto()
            stats.sent += 1
            stats.send_gap_ms = max(stats.send_gap_ms, (after_ns - sent_ns) / 1e6)
            self.pending[(address, seq)] = sent_ns
            return
        stats.sent += 1
        stats.error = "send: buffer full"

    def drain(self) -> None:
        """Read every queued packet (the event loop calls this when readable)."""
        while True:
            try:
                data, anc, _flags, src = self.sock.recvmsg(2048, socket.CMSG_SPACE(16))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break  # an ICMP error queued on the socket: the reply parser handles them
            rx_ns = time.time_ns()
            kernel = False
            for level, kind, blob in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(blob) >= 16:
                    sec, nsec = _TIMESPEC.unpack_from(blob)
                    rx_ns, kernel = sec * 1_000_000_000 + nsec, True
            self._handle(data, src[0], rx_ns, kernel)
        self._check_idle()

    def _handle(self, data: bytes, source: str, rx_ns: int, kernel: bool) -> None:
        if self.version == 4 and self.privileged:
            if len(data) < 20:
                return
            data = data[(data[0] & 0x0F) * 4 :]
        if len(data) < 8:
            return
        kind, _code, _sum, ident, seq = struct.unpack_from("!BBHHH", data)
        if kind == _ECHO_REPLY[self.version]:
            if self.privileged and ident != self.ident:
                return
            if data[8 : 8 + len(self.nonce)] != self.nonce:
                return
            try:
                address = str(ipaddress.ip_address(source.split("%", 1)[0]))
            except ValueError:
                return
            sent_ns = self.pending.pop((address, seq), None)
            if sent_ns is None:
                return  # not ours, a duplicate, or already counted as lost
            rtt_ns = rx_ns - sent_ns
            if rtt_ns > self.timeout_ns:
                return  # arrived after its timeout: lost, as fping counts it
            stats = self.hosts[address]
            stats.rtts_ms.append(max(rtt_ns, 0) / 1e6)
            stats.kernel_timestamps = stats.kernel_timestamps and kernel
        elif kind in _ERRORS[self.version]:
            self._handle_error(data[8:])

    def _handle_error(self, inner: bytes) -> None:
        """An ICMP error quoting one of our requests: that echo is lost, with a reason."""
        if self.version == 4:
            if len(inner) < 28:
                return
            hlen = (inner[0] & 0x0F) * 4
            dest = socket.inet_ntop(socket.AF_INET, inner[16:20])
        else:
            if len(inner) < 48:
                return
            hlen = 40
            dest = str(ipaddress.ip_address(inner[24:40]))
        if len(inner) < hlen + 8:
            return
        _kind, _code, _sum, ident, seq = struct.unpack_from("!BBHHH", inner, hlen)
        if self.privileged and ident != self.ident:
            return
        if self.pending.pop((dest, seq), None) is not None:
            self.hosts[dest].error = "unreachable"

    def _check_idle(self) -> None:
        if self.sending_done and not self.pending:
            self.idle.set()

    def close(self) -> None:
        self.icmp.close()


def _chunks(addresses: list[str], size: int) -> list[list[str]]:
    return [addresses[i : i + size] for i in range(0, len(addresses), size)]


async def sweep(
    addresses: Sequence[str],
    *,
    count: int = 3,
    interval: float = 0.2,
    timeout_s: float = 1.0,
    privileged: bool,
) -> dict[str, HostStats]:
    """Ping every address ``count`` times, rounds ``interval`` apart, all hosts at once.

    Addresses must be IP literals (resolve names first). Each echo is lost if
    no matching reply comes within ``timeout_s`` of sending it. Raises icmplib's
    ``SocketPermissionError`` if the socket cannot be opened in this mode.
    """
    unique = list(dict.fromkeys(str(ipaddress.ip_address(a)) for a in addresses))
    per_socket = max(1, 0xFFFF // count)  # sequence numbers must stay unique per socket
    groups: list[list[str]] = []
    for version in (4, 6):
        fam = [a for a in unique if ipaddress.ip_address(a).version == version]
        groups.extend(_chunks(fam, per_socket))
    results: dict[str, HostStats] = {}
    await asyncio.gather(
        *(_sweep_one(g, count, interval, timeout_s, privileged, results) for g in groups)
    )
    return {a: results[a] for a in unique}


async def _sweep_one(
    addresses: list[str],
    count: int,
    interval: float,
    timeout_s: float,
    privileged: bool,
    results: dict[str, HostStats],
) -> None:
    version = ipaddress.ip_address(addresses[0]).version
    hosts = {a: HostStats(a) for a in addresses}
    results.update(hosts)
    loop = asyncio.get_running_loop()
    pinger = _Pinger(version, privileged, hosts)
    pinger.timeout_ns = int(timeout_s * 1e9)
    loop.add_reader(pinger.sock.fileno(), pinger.drain)
    try:
        n = len(addresses)
        for rnd in range(count):
            round_start = loop.time()
            for i, address in enumerate(addresses):
                pinger.send(address, rnd * n + i)
                pinger.drain()  # keep the receive buffer short during a burst
                if i % 64 == 63:
                    await asyncio.sleep(0)
            if rnd < count - 1:
                await asyncio.sleep(max(0.0, round_start + interval - loop.time()))
        pinger.sending_done = True
        pinger._check_idle()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pinger.idle.wait(), timeout_s)
        pinger.drain()
    finally:
        loop.remove_reader(pinger.sock.fileno())
        pinger.close()
    for stats in hosts.values():
        stats.kernel_timestamps = stats.kernel_timestamps and pinger.kernel_ts
