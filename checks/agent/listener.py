"""The agent's listener: who may connect, TLS, and how long a connection may dawdle.

uvicorn's own server hands every accepted socket to TLS before any of our
code runs, and its only bound, ``limit_concurrency``, counts the open
connections of anyone who reaches the port: 31 idle sockets from a stranger
were enough to answer the bot 503. So the agent gives uvicorn its own socket
and its own HTTP protocol class, uvicorn's ``H11Protocol`` with a gate in
front. The moment after accept (``connection_made`` on the plain TCP
transport) the gate

* closes a peer outside ``[agent] allow`` before a byte is read or TLS begins;
* bounds open connections per address and in all: at a bound the oldest
  connection still waiting for its head makes room (see ``Gate``);
* upgrades the rest to TLS itself (``loop.start_tls``, TLS 1.2 at least, set
  here rather than left to the system's OpenSSL policy);
* gives the TLS handshake and each request's head ``header_timeout_s`` to
  arrive, then closes the connection: h11 has no timer of its own, and
  uvicorn arms ``timeout_keep_alive`` only after a response.

Idle connections between requests are uvicorn's ``timeout_keep_alive``; how
many requests run at once is the ``Guard``'s business, counted per request.
Everything past the head is uvicorn's ``H11Protocol`` unchanged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from checks.agent.guard import IPNetwork, is_allowed

log = logging.getLogger(__name__)

# Above this many open connections (all from allowed addresses) new ones are closed
# at accept: the process keeps file descriptors for its probes under a 1024 ulimit.
MAX_CONNECTIONS = 512
# ... and above this many from one address: ``allow`` may be a whole /24, and one
# noisy host in it must not use up the 512 the bot's own connections need.
MAX_CONNECTIONS_PER_ADDRESS = 64
_LOG_EVERY_S = 60.0  # one log line per refused address per minute, not one per attempt
_LOGGED_ADDRESSES = 1024


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server's TLS: 1.2 or later whatever the system's policy says."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket; ``::`` is dual-stack (IPV6_V6ONLY off), so it serves IPv4 too.

    asyncio's ``create_server`` would set IPV6_V6ONLY on every IPv6 socket, and
    uvicorn's ``bind_socket`` leaves it to the ``net.ipv6.bindv6only`` sysctl.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            dual = ipaddress.ip_address(address[0]).is_unspecified
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def serves_ipv4(host: str) -> bool:
    """Whether ``listen_socket(host, …)`` accepts IPv4 clients."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name resolves to its first address; "localhost" is 127.0.0.1
    return address.version == 4 or address.is_unspecified


@dataclass
class Gate:
    """What the listener enforces before HTTP: shared by every connection of one server.

    At a bound (``max_per_address`` of its address, ``max_connections`` in all) a
    newcomer does not simply lose to whoever came first: the oldest connection
    still waiting for its request head (an idle socket, a dribbling client; of
    the same address at its bound) makes room, so idle sockets cannot keep a
    real request out. Only when every connection is busy is the newcomer closed.
    """

    allow: tuple[IPNetwork, ...]
    tls: ssl.SSLContext | None
    header_timeout_s: float
    max_connections: int = MAX_CONNECTIONS
    max_per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    open: dict[GatedH11Protocol, str] = field(default_factory=dict)  # -> its address
    waiting: dict[GatedH11Protocol, None] = field(default_factory=dict)  # oldest first
    per_address: Counter[str] = field(default_factory=Counter)
    _logged: dict[str, float] = field(default_factory=dict)

    def admits(self, host: str | None) -> bool:
        return not self.allow or is_allowed(host, self.allow)

    def enter(self, connection: GatedH11Protocol, host: str | None) -> str | None:
        """Count a new connection in, or say why it is refused (it is then not counted)."""
        if not self.admits(host):
            return "not in [agent] allow"
        key = host or "?"
        if self.per_address[key] >= self.max_per_address and not self._evict(key):
            return f"{self.max_per_address} connections from this address already open"
        if len(self.open) >= self.max_connections and not self._evict(None):
            return f"{self.max_connections} connections already open"
        self.open[connection] = key
        self.per_address[key] += 1
        return None

    def _evict(self, address: str | None) -> bool:
        """Close the oldest connection waiting for its head (from ``address``, if given)."""
        victim = next((c for c in self.waiting if address in (None, self.open[c])), None)
        if victim is None:
            return False
        self.note_refusal(self.open[victim], "too many connections: the oldest idle one closed")
        self.leave(victim)
        victim.evict()
        return True

    def leave(self, connection: GatedH11Protocol) -> None:
        """Count a closed connection out; one that ``enter`` refused was never in."""
        self.waiting.pop(connection, None)
        key = self.open.pop(connection, None)
        if key is None:
            return
        self.per_address[key] -= 1
        if self.per_address[key] <= 0:
            del self.per_address[key]

    def note_refusal(self, host: str | None, why: str) -> None:
        """Log a refused address at most once a minute: a flood must not flood the log."""
        key = host or "?"
        now = time.monotonic()
        if now - self._logged.get(key, -_LOG_EVERY_S) < _LOG_EVERY_S:
            return
        if len(self._logged) >= _LOGGED_ADDRESSES:
            self._logged.clear()
        self._logged[key] = now
        log.info("closed connections from %s: %s (logged once a minute)", key, why)


def gated_protocol(gate: Gate) -> type[H11Protocol]:
    """uvicorn's ``http=`` protocol class for one server, with ``gate`` in front."""

    class Gated(GatedH11Protocol):
        pass

    Gated.gate = gate
    return Gated


class GatedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, reached only through the gate (see the module's docstring)."""

    gate: ClassVar[Gate]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._raw: asyncio.Transport | None = None
        self._peer: str | None = None
        self._started = False
        self._early: list[bytes] = []
        self._head_timer: asyncio.TimerHandle | None = None
        self._handshake: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Right after accept, on the plain TCP transport: the gate, then TLS or HTTP."""
        gate = self.gate
        self._raw = transport
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else None
        refusal = gate.enter(self, self._peer)
        if refusal is not None:
            gate.note_refusal(self._peer, refusal)
            transport.abort()
            return
        self._arm_head_timer()
        if gate.tls is None:
            self._start(transport)
            return
        transport.pause_reading()  # start_tls resumes it with the TLS layer in place
        self._handshake = self.loop.create_task(self._upgrade(transport, gate.tls))

    async def _upgrade(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        try:
            tls = await self.loop.start_tls(
                raw,
                self,
                context,
                server_side=True,
                ssl_handshake_timeout=self.gate.header_timeout_s,
            )
        except asyncio.CancelledError:  # the server is stopping
            raw.abort()
            raise
        except OSError as exc:  # ssl.SSLError, TimeoutError, a reset: all OSError
            log.debug("TLS handshake with %s failed: %r", self._peer, exc)
            raw.abort()
            return
        if tls is None or tls.is_closing():
            raw.abort()
            return
        self._start(tls)

    def _start(self, transport: asyncio.Transport) -> None:
        """Hand the connection to uvicorn, with whatever TLS delivered before we resumed."""
        self._started = True
        super().connection_made(transport)
        early, self._early = self._early, []
        for data in early:
            self.data_received(data)

    def data_received(self, data: bytes) -> None:
        if not self._started:  # TLS delivers data records before start_tls returns
            self._early.append(data)
            return
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # the first byte of a request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete (or refused)
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        self.gate.leave(self)
        if self._started:
            super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.gate.header_timeout_s, self._head_timeout)
        if self in self.gate.open:
            self.gate.waiting[self] = None

    def _disarm_head_timer(self) -> None:
        self.gate.waiting.pop(self, None)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def evict(self) -> None:
        """Close this connection, still waiting for its head, to make room for a newcomer."""
        self._disarm_head_timer()
        log.debug("closed a connection from %s: room for a newer one", self._peer)
        if self._raw is not None:
            self._raw.abort()

    def _head_timeout(self) -> None:
        self._head_timer = None
        log.debug(
            "closed a connection from %s: no complete request within %.0f s",
            self._peer,
            self.gate.header_timeout_s,
        )
        if self._raw is not None:
            self._raw.abort()
