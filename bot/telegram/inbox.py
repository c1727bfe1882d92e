"""The durable inbox: each update is committed before it is confirmed, handled after.

Polling and the webhook both store updates here and hand them to ``handle_raw``
one at a time. An update python-telegram-bot cannot read is kept with its raw
JSON, marked, and skipped: one bad update must not stop the others. So is one
that SQLite cannot store as it came (a lone UTF-16 surrogate such as ``"\\ud800"``
in its text is not valid UTF-8): it is kept with the surrogate escaped.

A database locked by another program (a backup, someone's ``sqlite3`` shell)
past SQLite's busy timeout is waited for, said in the log, not a crash.
Handled updates older than ``[limits] inbox_days`` are pruned at start and daily.
An update the gate ignored (a flood, a repeated help request, an edit) is kept only as
the audit needs it (``audit_copy``: who, when, where, the first ``PREFIX`` characters):
a flood of 4,000-character messages was stored whole for those days.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.storage import Database, Tx
from bot.storage.locked import patiently
from checks import redact
from handlers import guard
from handlers.context import App

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
UNPARSABLE = "unparsable"  # inbox.error of an update python-telegram-bot cannot read
PREFIX = 64  # characters of an ignored update's text (or a name) kept for the audit
_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def update_id_of(raw: Any) -> int | None:
    """The ``update_id`` of a raw update, or None if it has none we can trust."""
    uid = raw.get("update_id") if isinstance(raw, dict) else None
    return uid if isinstance(uid, int) and not isinstance(uid, bool) else None


async def store(tx: Tx, update_id: int, raw: Any) -> bool:
    """Store one update; True if it is new and should be handled.

    An update SQLite cannot store as text (a lone surrogate is not UTF-8) is stored with
    every non-ASCII character escaped, marked unparsable and not handled: it would fail
    in every handler that stores its text, and block polling after every restart.
    """
    text = json.dumps(raw, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        if await tx.inbox.add(update_id, json.dumps(raw, ensure_ascii=True)):
            await tx.inbox.done(update_id, UNPARSABLE)
            log.warning(
                "update %s holds text that is not valid Unicode (a lone surrogate);"
                " kept escaped in the inbox, marked unparsable and skipped",
                update_id,
            )
        return False
    return await tx.inbox.add(update_id, text)


async def store_batch(db: Database, batch: list[Any]) -> list[tuple[int, Any]]:
    """Commit every update of a batch to the inbox; returns the ones to handle."""
    fresh = []
    async with db.write() as tx:
        for raw in batch:
            uid = update_id_of(raw)
            if uid is None:
                log.warning("an update without an update_id was received; skipped")
                continue
            if await store(tx, uid, raw):
                fresh.append((uid, raw))
    return fresh


def _short(value: Any) -> Any:
    return value[:PREFIX] if isinstance(value, str) else value


def _person(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    return {k: _short(raw[k]) for k in ("id", "is_bot", "first_name", "type") if k in raw}


def _message(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: raw[k] for k in ("message_id", "date") if k in raw}
    for key in ("chat", "from"):
        if (person := _person(raw.get(key))) is not None:
            out[key] = person
    for key in ("text", "caption"):
        if isinstance(raw.get(key), str):
            out[key] = raw[key][:PREFIX]
    return out


def audit_copy(raw: dict[str, Any]) -> dict[str, Any]:
    """What an ignored update keeps: who, when, which chat, the command and a short prefix.

    Still an update in Telegram's shape (ids, ``date``, ``chat``, ``from``), so a reader of
    the inbox reads it like any other; every string is cut to ``PREFIX`` characters.
    """
    out: dict[str, Any] = {"update_id": raw.get("update_id")}
    for key in _KINDS:
        if isinstance(raw.get(key), dict):
            out[key] = _message(raw[key])
    query = raw.get("callback_query")
    if isinstance(query, dict):
        out["callback_query"] = {
            "id": _short(query.get("id")),
            "from": _person(query.get("from")),
            "data": _short(query.get("data")),
            "message": _message(query["message"])
            if isinstance(query.get("message"), dict)
            else None,
        }
    return out


async def mark_done(
    db: Database,
    update_id: int,
    error: str | None,
    stop: asyncio.Event | None = None,
    *,
    raw: str | None = None,
) -> None:
    """Mark an update handled; ``raw``: what to keep of it instead of what came."""

    async def write() -> None:
        async with db.write() as tx:
            await tx.inbox.done(update_id, error, raw=raw)

    await patiently(f"marking update {update_id} handled", write, stop)


def forget_persistence_marks(app: App) -> None:
    """Drop the ids python-telegram-bot marks for a persistence the bot does not have.

    ``process_update`` adds every update's chat and user id to two sets that only
    ``update_persistence`` empties, and that returns early without a persistence: one
    entry per reporter ever seen, for the process's life (0.2 MB a thousand). The
    bot's record is its database, so nothing is lost by dropping them."""
    if app.persistence is None:
        app._chat_ids_to_be_updated_in_persistence.clear()
        app._user_ids_to_be_updated_in_persistence.clear()


async def handle(app: App, db: Database, update: Update, stop: asyncio.Event | None = None) -> None:
    """Run the handlers for one stored update, then mark it handled (an ignored one
    shrunk to its ``audit_copy``)."""
    error = None
    try:
        await app.process_update(update)
    except Exception as exc:  # process_update routes handler errors; this is a last resort
        log.exception("update %s could not be processed", update.update_id)
        error = type(exc).__name__
    forget_persistence_marks(app)
    raw = None
    if guard.ignored(app.bot_data, update.update_id):
        raw = json.dumps(audit_copy(update.to_dict()), ensure_ascii=False)
    await mark_done(db, update.update_id, error, stop, raw=raw)


async def handle_raw(
    app: App, db: Database, update_id: int, raw: Any, stop: asyncio.Event | None = None
) -> None:
    """Parse one stored update on its own and handle it (an unparsable one is marked)."""
    try:
        update = Update.de_json(raw, app.bot)
    except Exception as exc:
        log.warning(
            "update %s is unparsable (%s: %s); kept in the inbox and skipped",
            update_id,
            type(exc).__name__,
            redact.redact(str(exc))[:200],
        )
        await mark_done(db, update_id, UNPARSABLE, stop)
        return
    await handle(app, db, update, stop)


async def handle_backlog(app: App, db: Database) -> int:
    """Updates stored before a crash but never handled."""
    rows = await db.reads.inbox.unhandled()
    for update_id, raw in rows:
        await handle_raw(app, db, update_id, json.loads(raw))
    return len(rows)


class Pruner:
    """Deletes handled updates older than ``days``: at the first call, then once a day.

    The inbox is the crash log of the last few minutes, not the agenda: complaints,
    their timelines and the audit keep what the office needs.
    """

    def __init__(self, db: Database, days: int) -> None:
        self.db = db
        self.days = days
        self._next: datetime | None = None

    async def maybe(self, stop: asyncio.Event | None = None) -> int:
        """Prune if due; returns how many updates were deleted."""
        now = self.db.clock()
        if self._next is not None and now < self._next:
            return 0
        self._next = now + timedelta(days=1)

        async def write() -> int:
            async with self.db.write() as tx:
                return await tx.inbox.prune(tx.now - timedelta(days=self.days))

        pruned = await patiently("pruning the inbox", write, stop)
        if pruned:
            log.info(
                "pruned %d handled updates older than %d days from the inbox", pruned, self.days
            )
        return pruned
