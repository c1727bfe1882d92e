"""The gate every update passes first: edits are ignored, floods are cut.

Registered before every other handler (``note_chat`` included). Three jobs:

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
* **Repeats.** A group's /bantuan from many members is answered once a minute
  (``handlers/repeats.py``); the others are one ``audit`` row (outcome ``repeat``).
  So is the flood notice: many members flooding one group get one notice a minute.

Group chatter the bot does not answer (a message that is not a command or a
``#K`` tag) is not counted. The counts are kept in memory (``bot_data``): they
cover one minute, and a restart forgetting them lets a flooder in for at most
one more minute's allowance. An ignored update is kept in the inbox only as much as
the audit needs (who, when, where, the command and the first ``inbox.PREFIX``
characters): ``ignored`` hands its id to ``bot.telegram.inbox``, which shrinks the row
when it marks the update handled, so a flood of 4,000-character messages is not
stored whole for ``inbox_days``.

The minute is counted in monotonic seconds, not on the wall clock: with the
clock set back an hour, updates seen "in the future" never left the window and
4 of 8 ``/bantuan`` sent two minutes apart were ignored.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.domain.model import Role
from handlers.agenda import HASHTAG
from handlers.base import actor_of, roles
from handlers.context import Ctx, services_of
from handlers.repeats import COLLAPSED, REPEAT, Repeats, command_of

log = logging.getLogger(__name__)
FLOOD = "flood"  # audit outcome
WINDOW_S = 60.0
FORGET_AT = 2_000  # users remembered before the idle ones are dropped (~0.75 KB each)
_KEY = "flood_guard"
_REPEATS = "help_repeats"
_IGNORED = "ignored_updates"


@dataclass
class _User:
    """One user's last minute: when they wrote, and the flood they are in, if any."""

    times: deque[float] = field(default_factory=deque)  # monotonic seconds
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


class Counts:
    """Every user's last minute, in monotonic seconds (``ticks``)."""

    def __init__(self, ticks: Callable[[], float] = time.monotonic) -> None:
        self.ticks = ticks
        self.users: dict[int, _User] = {}

    def seen(self, user_id: int, limit: int) -> _User | None:
        """Count one update; the user's state if it is over ``limit``, else None."""
        now, users = self.ticks(), self.users
        if len(users) > FORGET_AT:  # a bound on memory: forget whoever was quiet a minute
            for uid in [u for u, s in users.items() if not s.times or s.times[-1] < now - WINDOW_S]:
                del users[uid]
        state = users.setdefault(user_id, _User())
        state.times.append(now)
        while state.times and state.times[0] <= now - WINDOW_S:
            state.times.popleft()
        if len(state.times) <= limit:
            state.flood_update_id, state.ignored = None, 0  # within the limit: flood over
            return None
        state.ignored += 1
        return state


def install(bot_data: MutableMapping[Any, Any], ticks: Callable[[], float]) -> None:
    """Count on ``ticks`` (the runtime's monotonic seconds; tests pass their own)."""
    bot_data[_KEY] = Counts(ticks)
    bot_data[_REPEATS] = Repeats(ticks)


def _counts(context: Ctx) -> Counts:
    counts = context.bot_data.get(_KEY)
    if not isinstance(counts, Counts):
        counts = context.bot_data[_KEY] = Counts()
    return counts


def _repeats(context: Ctx) -> Repeats:
    repeats = context.bot_data.get(_REPEATS)
    if not isinstance(repeats, Repeats):
        repeats = context.bot_data[_REPEATS] = Repeats(_counts(context).ticks)
    return repeats


def _ignore(context: Ctx, update: Update) -> NoReturn:
    """Remember that ``update`` was ignored (its inbox row is shrunk), and stop it."""
    ids = context.bot_data.setdefault(_IGNORED, set())
    if len(ids) > FORGET_AT:  # only if something handles updates without the inbox
        ids.clear()
    ids.add(update.update_id)
    raise ApplicationHandlerStop


def ignored(bot_data: MutableMapping[Any, Any], update_id: int) -> bool:
    """Whether the guard ignored ``update_id`` (asked once, after it was processed)."""
    ids = bot_data.get(_IGNORED)
    if not isinstance(ids, set) or update_id not in ids:
        return False
    ids.discard(update_id)
    return True


async def guard(update: Update, context: Ctx) -> None:
    """Drop edits; count the user's updates, tell them once, then ignore a flood; answer
    a group's help once a minute."""
    if update.edited_message is not None or update.edited_channel_post is not None:
        _ignore(context, update)
    user = update.effective_user
    if user is None or not _counted(update):
        return
    limit = _limit(update, context)
    state = _counts(context).seen(user.id, limit) if limit else None
    if state is not None:
        if state.flood_update_id is None:
            state.flood_update_id = update.update_id
        await _flood(update, context, limit, state.flood_update_id, state.ignored)
        _ignore(context, update)
    await _collapse(update, context)


async def _collapse(update: Update, context: Ctx) -> None:
    """A group's repeated help request within the minute: counted in the audit, ignored."""
    msg = update.message
    if msg is None or msg.chat.type == ChatType.PRIVATE or not msg.text:
        return
    command = COLLAPSED.get(command_of(msg.text))
    if command is None:
        return
    burst = _repeats(context).seen(msg.chat.id, command, update.update_id)
    if burst is None:
        return
    await services_of(context).records.flood(
        began=burst.began or update.update_id,
        ignored=burst.ignored,
        user=actor_of(update.effective_user),
        chat_id=msg.chat.id,
        kind="command",
        what=command[:32],
        notice=None,
        outcome=REPEAT,
    )
    _ignore(context, update)


async def _flood(update: Update, context: Ctx, limit: int, began: int, ignored: int) -> None:
    """The flood's one audit row and one notice when it begins; its count after that."""
    svc, user, query = services_of(context), update.effective_user, update.callback_query
    msg = query.message if query is not None else update.message
    chat_id = msg.chat.id if msg is not None else (user.id if user else None)
    words = (update.message.text or "").split(maxsplit=1) if update.message else []
    what = query.data if query is not None else (words[0][:32] if words else None)
    if ignored == 1:
        log.info(
            "flood from user %s in chat %s: over %d updates a minute; ignoring them until"
            " they slow down",
            user.id if user else None,
            chat_id,
            limit,
        )
    # In a group the notice reads the same for every member: once a minute, like help.
    grouped = msg is not None and msg.chat.type != ChatType.PRIVATE
    told = (
        ignored == 1 and grouped and _repeats(context).seen(chat_id or 0, FLOOD, began) is not None
    )
    await svc.records.flood(
        began=began,
        ignored=ignored,
        user=actor_of(user),
        chat_id=chat_id,
        kind="button" if query is not None else "command",
        what=what,
        notice=None if told else svc.views.html("flood", limit=limit),
    )
