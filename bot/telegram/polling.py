"""Long polling through our own fetch loop: getUpdates -> inbox (commit) -> handle -> offset.

The stock updater confirms an update to Telegram before the handler has run;
here the offset moves past an update only after it is stored and handled. A
database locked by another program is waited for (``bot.storage.locked.patiently``): the
loop goes on when the lock is released instead of ending the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import warnings
from functools import partial
from typing import Any

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.delivery.sender import retry_seconds
from bot.storage import Database
from bot.storage.locked import Stopped, patiently
from bot.telegram.connect import set_reachable, why
from bot.telegram.inbox import ALLOWED_UPDATES, Pruner, handle_raw, store_batch, update_id_of
from handlers.context import App, services_of_app

log = logging.getLogger(__name__)
POLL_READ_MARGIN_S = 10  # read timeout of a long poll beyond its own timeout


async def get_updates_raw(app: App, offset: int | None, poll_s: int) -> list[Any]:
    """``getUpdates`` as JSON: PTB's ``get_updates`` parses the whole batch at once, so
    one update it cannot read would fail the batch before any of it is stored."""
    params: dict[str, Any] = {"timeout": poll_s, "allowed_updates": ALLOWED_UPDATES}
    if offset is not None:
        params["offset"] = offset
    result = await app.bot.do_api_request(
        "getUpdates", api_kwargs=params, read_timeout=poll_s + POLL_READ_MARGIN_S
    )
    if not isinstance(result, list):
        raise NetworkError("getUpdates did not return a list")
    return result


async def fetch_loop(app: App, db: Database, poll_s: int, stop: asyncio.Event) -> None:
    """getUpdates -> inbox (commit) -> handle -> only then advance the offset."""
    # do_api_request is PTB's public way to get the raw JSON; it advises the typed method,
    # which is exactly what cannot be used here.
    warnings.filterwarnings(
        "ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning
    )
    offset = await db.reads.inbox.next_offset()
    pruner = Pruner(db, services_of_app(app).config.limits.inbox_days)
    backoff = 1.0
    down = False
    while not stop.is_set():
        try:
            await pruner.maybe(stop)  # at start, then once a day
        except Stopped:
            break
        fetch = asyncio.ensure_future(get_updates_raw(app, offset, poll_s))
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            break
        try:
            batch = fetch.result()
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except TimedOut:
            continue
        except InvalidToken:
            raise
        except Conflict:  # e.g. the old container still polling during a redeploy
            log.warning(
                "another copy of this bot is polling with the same token; stop it"
                " (or wait for it to exit); retrying in %.0f s",
                backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        except NetworkError as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            if not down:  # for netmaint doctor: the running bot cannot reach Telegram
                down = await _note_reachable(db, False, why(exc))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        if down:
            log.info("getUpdates answers again")
            down = not await _note_reachable(db, True)
        ids = [uid for uid in map(update_id_of, batch) if uid is not None]
        if not ids:
            continue
        try:
            fresh = await patiently("storing new updates", partial(store_batch, db, batch), stop)
            for uid, raw in fresh:  # a redelivered update was stored (and handled) before
                await handle_raw(app, db, uid, raw, stop)
        except Stopped:  # what was not stored or marked is fetched or handled after restart
            break
        offset = max(ids) + 1


async def _note_reachable(db: Database, reachable: bool, detail: str | None = None) -> bool:
    """Store whether Telegram answers; True if stored (a locked database is not a crash:
    the next change of state tries again)."""
    try:
        await set_reachable(db, reachable, detail)
    except sqlite3.OperationalError as exc:
        log.warning("could not store whether Telegram answers (%s)", exc)
        return False
    return True
