"""The agent's gate: refuses a request before the application reads any of it.

A pure ASGI middleware rather than FastAPI dependencies, because FastAPI
reads and parses the body before dependencies run: the client address, the
token and the declared size must be checked first, so an unauthenticated or
oversized request costs nothing and changes nothing. The concurrency bound
counts requests, not connections: a request past ``max_concurrent`` waits up
to ``queue_wait_s`` for a turn and only then is answered 503 ``busy``; a
request whose client leaves is stopped and its turn freed (``departure``).
(Addresses outside ``allow`` are already closed at accept by
``checks.agent.listener``; the check here covers any other server.)
Every refusal is a short JSON body: ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections.abc import Iterable, Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from checks.agent.departure import ClientGone, Departure

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Client networks from ``[agent] allow``; an address is a one-host network."""
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def is_allowed(host: str | None, allow: Iterable[IPNetwork]) -> bool:
    """Whether a client address is in ``allow``; an IPv4-mapped IPv6 address counts as IPv4."""
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in allow)


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    """The one shape of every error the agent returns."""
    return JSONResponse({"error": code, "message": message, **extra}, status, headers=headers)


class Guard:
    """Allowlist, bearer token, body size, then a turn among ``max_concurrent``, in that order."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allow: Iterable[str] = (),
        max_concurrent: int = 4,
        max_body: int = MAX_BODY_BYTES,
        queue_wait_s: float = 5.0,
        body_timeout_s: float = 5.0,
    ) -> None:
        if not token:
            raise ValueError("the agent needs a token")
        self.app = app
        self._token = token.encode()
        self._allow = parse_allow(allow)
        self._max_concurrent = max_concurrent
        self._max_body = max_body
        self._queue_wait_s = queue_wait_s
        self._body_timeout_s = body_timeout_s
        self._slots = asyncio.Semaphore(max_concurrent)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # websockets: the agent serves none
            await send({"type": "websocket.close", "code": 1008})
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self._body_timeout_s):
                body = await self._read_body(receive)
        except _TooLarge:
            await self._too_large()(scope, receive, send)
            return
        except _Gone:
            return
        except TimeoutError:
            slow = error_response(
                408, "timeout", f"the request body did not arrive within {self._body_timeout_s:g} s"
            )
            await slow(scope, receive, send)
            return
        departure = Departure(receive)
        try:
            await self._serve(scope, body, send, departure)
        except ClientGone:
            log.info(
                "the client of %s %s left before its answer: its work was stopped",
                scope.get("method", "?"),
                scope.get("path", "?"),
            )
        finally:
            departure.close()

    async def _serve(self, scope: Scope, body: bytes, send: Send, departure: Departure) -> None:
        """A turn, then the app; either is given up when the client leaves (``ClientGone``)."""
        if not await departure.finish(self._take_turn()):
            await self._busy()(scope, departure.replay(b""), send)
            return
        try:
            await departure.finish(self.app(scope, departure.replay(body), departure.through(send)))
        finally:
            self._slots.release()

    async def _take_turn(self) -> bool:
        """A slot among ``max_concurrent``, waiting up to ``queue_wait_s``; False if none came."""
        try:
            async with asyncio.timeout(self._queue_wait_s):
                await self._slots.acquire()
        except TimeoutError:
            return False
        return True

    def _busy(self) -> JSONResponse:
        return error_response(
            503,
            "busy",
            f"the agent is already answering {self._max_concurrent} requests and none finished "
            f"within {self._queue_wait_s:g} s; retry shortly",
            headers={"Retry-After": "1"},
        )

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        """Why this request is refused before its body is read, or None."""
        client = scope.get("client")
        host = client[0] if client else None
        if self._allow and not self._allowed(host):
            log.info("refused a request from %s: not in [agent] allow", host)
            return error_response(403, "forbidden", "this client address is not allowed")
        if not self._authorised(scope):
            log.info("refused a request from %s: missing or wrong token", host)
            return error_response(
                401,
                "unauthorized",
                "send the agent's token as 'Authorization: Bearer <AGENT_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        length = _header(scope, b"content-length")
        if length is not None:
            if not length.isdigit():
                return error_response(400, "bad_request", "Content-Length is not a number")
            if int(length) > self._max_body:
                return self._too_large()
        return None

    def _allowed(self, host: str | None) -> bool:
        return is_allowed(host, self._allow)

    def _authorised(self, scope: Scope) -> bool:
        value = _header(scope, b"authorization")
        if value is None:
            return False
        scheme, _, credentials = value.partition(b" ")
        if scheme.lower() != b"bearer":
            return False
        return hmac.compare_digest(credentials.strip(), self._token)

    def _too_large(self) -> JSONResponse:
        return error_response(
            413, "too_large", f"the request body is larger than {self._max_body} bytes"
        )

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body; stops reading as soon as it passes the limit (chunked uploads)."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                raise _TooLarge
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


class _TooLarge(Exception):
    """The body passed the limit while it was being read."""


class _Gone(Exception):
    """The client disconnected before sending its whole body."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None
