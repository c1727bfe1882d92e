"""The gate every update passes first: edits are ignored, and one user's flood is cut.

Registered in group -2 (before everything, ``note_chat`` included). Two jobs:

* **Edits.** A complaint is what was sent; an edited message would be a second
  command (a second ``/lapor``, a second ``/tiket``). ``allowed_updates`` asks
  Telegram for no edits, and this drops any that arrive anyway.
* **Floods.** Each user may send ``[limits] updates_per_minute`` commands, button
  presses and private messages in any 60 s (ADBs ``adb_updates_per_minute``;
  0 = no limit). The update over the limit gets one polite notice, in the chat it
  came from; after that the user's updates are ignored, without a reply, until
  they send no more than the limit in a minute again. A flood is one ``audit`` row
  (outcome ``flood``) whose ``count`` grows with every update ignored, so a
  thousand presses are one row, not a thousand.

Group chatter the bot does not answer (a message that is not a command or a
``#K`` tag) is not counted. The counts are kept in memory (``bot_data``): they
cover one minute, and a restart forgetting them lets a flooder in for at most
one more minute's allowance. The updates are still in the inbox (pruned after
``inbox_days``).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.domain.model import Role
from handlers.agenda import HASHTAG
from handlers.base import actor_of, roles
from handlers.context import Ctx, services_of

log = logging.getLogger(__name__)
FLOOD = "flood"  # audit outcome
WINDOW = timedelta(minutes=1)
FORGET_AT = 10_000  # users remembered before the idle ones are dropped
_KEY = "flood_guard"


@dataclass
class _User:
    """One user's last minute: when they wrote, and the flood they are in, if any."""

    times: deque[datetime] = field(default_factory=deque)
    flood_update_id: int | None = None  # the update that started the flood (its audit row)
    ignored: int = 0


def _counted(update: Update) -> bool:
    """Updates the bot would answer: buttons, private messages, commands and #K tags."""
    if update.callback_query is not None:
        return True
    msg = update.message
    if msg is None:
        return False
    text = msg.text or ""
    return msg.chat.type == ChatType.PRIVATE or text.startswith("/") or bool(HASHTAG.match(text))


def _limit(update: Update, context: Ctx) -> int:
    limits = services_of(context).config.limits
    if Role.ADB in roles(update, context):
        return limits.adb_updates_per_minute
    return limits.updates_per_minute


def _users(context: Ctx) -> dict[int, _User]:
    users: dict[int, _User] = context.bot_data.setdefault(_KEY, {})
    return users


async def guard(update: Update, context: Ctx) -> None:
    """Drop edits; count the user's updates, tell them once, then ignore a flood."""
    if update.edited_message is not None or update.edited_channel_post is not None:
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or not _counted(update):
        return
    limit = _limit(update, context)
    if not limit:
        return
    svc, users = services_of(context), _users(context)
    now = svc.clock()
    if len(users) > FORGET_AT:  # a bound on memory: forget whoever was quiet for a minute
        for uid in [u for u, s in users.items() if not s.times or s.times[-1] < now - WINDOW]:
            del users[uid]
    state = users.setdefault(user.id, _User())
    state.times.append(now)
    while state.times and state.times[0] <= now - WINDOW:
        state.times.popleft()
    if len(state.times) <= limit:
        state.flood_update_id, state.ignored = None, 0  # within the limit: any flood is over
        return
    state.ignored += 1
    if state.flood_update_id is None:
        state.flood_update_id = update.update_id
        await _flood_began(update, context, limit)
    else:
        async with svc.db.write() as tx:
            await tx.audit.flood_seen(state.flood_update_id, state.ignored)
    raise ApplicationHandlerStop


async def _flood_began(update: Update, context: Ctx, limit: int) -> None:
    """The one audit row of this flood, and the one notice, in one transaction."""
    svc, user, query = services_of(context), update.effective_user, update.callback_query
    msg = query.message if query is not None else update.message
    chat_id = msg.chat.id if msg is not None else (user.id if user else None)
    words = (update.message.text or "").split(maxsplit=1) if update.message else []
    what = query.data if query is not None else (words[0][:32] if words else None)
    log.info(
        "flood from user %s in chat %s: over %d updates a minute; ignoring them until"
        " they slow down",
        user.id if user else None,
        chat_id,
        limit,
    )
    async with svc.db.write() as tx:
        await tx.audit.add(
            update_id=update.update_id,
            user=actor_of(user),
            chat_id=chat_id,
            kind="button" if query is not None else "command",
            what=what,
            outcome=FLOOD,
        )
        if chat_id is not None:
            await svc.queue.send(tx, chat_id, svc.views.html("flood", limit=limit))
    svc.queue.wake()
