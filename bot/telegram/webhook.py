"""Webhook mode: Telegram POSTs each update; we answer 200 only after it is committed.

The stock webhook answers before the handler runs; here the update is in the
inbox (SQLite, committed) before Telegram hears "OK", and a single worker then
handles stored updates in order. A request without the secret Telegram was
given (``X-Telegram-Bot-Api-Secret-Token``) is refused and stores nothing.

The listener is the agent's gated one (``checks.agent.listener``), without an
allow list or TLS (a reverse proxy does those): a connection must send its
request head within ``HEADER_TIMEOUT_S``, one idle between requests is closed
after ``IDLE_TIMEOUT_S``, and at most ``MAX_CONNECTIONS`` are open, the oldest
idle one making room for a newcomer. Stock uvicorn has none of these: 1,100
idle sockets under a 1,024 file limit kept Telegram's genuine POST out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import sqlite3
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.settings.environment import Settings
from bot.storage import Database
from bot.storage.locked import Stopped, is_locked
from bot.telegram import connect
from bot.telegram.connect import reach
from bot.telegram.inbox import ALLOWED_UPDATES, Pruner, handle_raw, store
from checks import redact
from checks.agent.listener import Gate, gated_protocol
from handlers.context import App, services_of_app

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
MAX_BODY = 1_000_000  # an update is a few KB; refuse anything absurd
HEADER_TIMEOUT_S = 5.0  # Telegram sends its request at once
IDLE_TIMEOUT_S = 5  # between two requests on one connection
MAX_CONNECTIONS = 256  # Telegram opens at most 100 (setWebhook's max_connections)
ACCEPT_BATCH = 128  # sockets asyncio accepts at once, before the gate sees any of them


def webhook_app(db: Database, secret: str, path: str, queue: asyncio.Queue[int]) -> Starlette:
    """The HTTP endpoint: verify, store and commit, then say 200."""

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update_id = int(data["update_id"])
        except (ValueError, KeyError, TypeError):
            return Response(status_code=400)
        try:
            async with db.write() as tx:
                fresh = await store(tx, update_id, data)
        except sqlite3.OperationalError as exc:
            if not is_locked(exc):
                raise
            log.warning(
                "the database is locked by another program (SQLite: %s); update %s "
                "refused with 503, Telegram sends it again later",
                exc,
                update_id,
            )
            return Response(status_code=503)
        if fresh:
            queue.put_nowait(update_id)
        return Response(status_code=200)

    return Starlette(routes=[Route(path, receive, methods=["POST"])])


async def webhook_loop(
    app: App,
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve the webhook until ``stop``; handle stored updates one at a time."""
    url, secret = settings.netmaint_webhook_url, settings.webhook_secret
    assert url is not None and secret is not None
    host, _, port = settings.netmaint_webhook_listen.rpartition(":")
    queue: asyncio.Queue[int] = asyncio.Queue()
    # One proxy in front may be every peer: no bound per address below the whole one.
    gate = Gate(
        allow=(),
        tls=None,
        header_timeout_s=HEADER_TIMEOUT_S,
        max_connections=MAX_CONNECTIONS,
        max_per_address=MAX_CONNECTIONS,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            webhook_app(db, secret, urlsplit(url).path or "/", queue),
            host=host.strip("[]"),
            port=int(port),
            http=gated_protocol(gate),
            backlog=ACCEPT_BATCH,
            timeout_keep_alive=IDLE_TIMEOUT_S,
            log_config=None,
            lifespan="off",
            ws="none",
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve(), name="webhook")
    while not server.started:
        if serving.done():
            serving.result()  # the port is taken, or similar: raise it
            raise RuntimeError("the webhook server stopped during start-up")
        await asyncio.sleep(0.02)
    redact.add_secrets([secret])  # python-telegram-bot logs setWebhook's parameters at DEBUG
    try:  # Telegram may drop again between getMe and this: wait for it as at start
        await reach(
            db,
            stop,
            lambda: app.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES),
        )
    except connect.Stopped:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 3)
        return
    log.info("webhook set; listening on %s", settings.netmaint_webhook_listen)
    if ready is not None:
        ready.set()

    pruner = Pruner(db, services_of_app(app).config.limits.inbox_days)
    with contextlib.suppress(Stopped):
        await pruner.maybe(stop)  # at start; the worker prunes daily after that

    async def worker() -> None:
        while True:
            update_id = await queue.get()
            try:
                await pruner.maybe(stop)  # at start, then once a day
                raw = await db.reads.inbox.unhandled_one(update_id)
                if raw is not None:  # parsed on its own: an unparsable one is marked, skipped
                    await handle_raw(app, db, update_id, json.loads(raw), stop)
            except Stopped:  # left in the inbox: handled after the restart
                pass
            except Exception:  # nothing must stop the worker
                log.exception("webhook update %s could not be handled", update_id)
            finally:
                queue.task_done()

    working = asyncio.create_task(worker(), name="webhook-worker")
    try:
        await stop.wait()
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 3)
        # Finish what was accepted; anything left is in the inbox for the next start.
        # (Short bounds: the whole stop, diagnoses and sending included, fits in 10 s.)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(queue.join(), 3)
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
