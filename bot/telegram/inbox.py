"""The durable inbox: each update is committed before it is confirmed, handled after.

Polling and the webhook both store updates here and hand them to ``handle_raw``
one at a time. An update python-telegram-bot cannot read is kept with its raw
JSON, marked, and skipped: one bad update must not stop the others.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update

from bot.storage import Database
from bot.telegram.context import App
from checks import redact

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
UNPARSABLE = "unparsable"  # inbox.error of an update python-telegram-bot cannot read


def update_id_of(raw: Any) -> int | None:
    """The ``update_id`` of a raw update, or None if it has none we can trust."""
    uid = raw.get("update_id") if isinstance(raw, dict) else None
    return uid if isinstance(uid, int) and not isinstance(uid, bool) else None


async def store_batch(db: Database, batch: list[Any]) -> list[tuple[int, Any]]:
    """Commit every update of a batch to the inbox; returns the ones not seen before."""
    fresh = []
    async with db.write() as tx:
        for raw in batch:
            uid = update_id_of(raw)
            if uid is None:
                log.warning("an update without an update_id was received; skipped")
                continue
            if await tx.inbox.add(uid, json.dumps(raw, ensure_ascii=False)):
                fresh.append((uid, raw))
    return fresh


async def handle(app: App, db: Database, update: Update) -> None:
    """Run the handlers for one stored update, then mark it handled."""
    error = None
    try:
        await app.process_update(update)
    except Exception as exc:  # process_update routes handler errors; this is a last resort
        log.exception("update %s could not be processed", update.update_id)
        error = type(exc).__name__
    async with db.write() as tx:
        await tx.inbox.done(update.update_id, error)


async def handle_raw(app: App, db: Database, update_id: int,
                     raw: Any) -> None:
    """Parse one stored update on its own and handle it (an unparsable one is marked)."""
    try:
        update = Update.de_json(raw, app.bot)
    except Exception as exc:
        log.warning("update %s is unparsable (%s: %s); kept in the inbox and skipped",
                    update_id, type(exc).__name__, redact.redact(str(exc))[:200])
        async with db.write() as tx:
            await tx.inbox.done(update_id, UNPARSABLE)
        return
    await handle(app, db, update)


async def handle_backlog(app: App, db: Database) -> int:
    """Updates stored before a crash but never handled."""
    rows = await db.reads.inbox.unhandled()
    for update_id, raw in rows:
        await handle_raw(app, db, update_id, json.loads(raw))
    return len(rows)
