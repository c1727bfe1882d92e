"""Groups the bot was never set up for: it acts on nothing there except ``/id``.

Anyone can add a bot to their own group. Without this guard an ADB typing
``/agenda``, ``/lacak 1`` or ``#K1`` in a stranger's group posted complaint
texts into it, and a forged button press there would be acted on. The guard
runs before every other handler (group -2) and stops the update, except
``/id``, which the operator needs in exactly such a group to set it up.

A press or command there is refused and audited like any other refusal. The
group is told once that the bot is not set up for it and how an operator
does that. "Once" is remembered in the outbox itself (a row with purpose
``not_set_up`` for that chat, never deleted), checked and written in one
transaction, so a restart does not repeat it and no schema change is needed.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.render import buttons
from handlers.base import NUMBERED_PREFIXES, answer, audit
from handlers.context import Ctx, services_of

log = logging.getLogger(__name__)
NOTICE = "not_set_up"  # outbox purpose and template of the one notice per group


# Only used to recognise ``/id`` exactly as the registered handler does (``/id@bot`` too).
async def _never(update: Update, context: Ctx) -> None:
    """Not called: the handler below only matches."""


_ID: CommandHandler[Ctx, None] = CommandHandler("id", _never)


def is_id_command(update: Update) -> bool:
    """Whether the update is the ``/id`` command (the one thing answered anywhere)."""
    return update.message is not None and bool(_ID.check_update(update))


async def guard_unknown_groups(update: Update, context: Ctx) -> None:
    """Stop every update from a group the bot is not set up for, but ``/id``; say why once."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    svc = services_of(context)
    if chat.id in svc.settings.group_chats or is_id_command(update):
        return
    user = update.effective_user
    log.info(
        "update from group %s, which is not set up, ignored (user %s)",
        chat.id,
        user.id if user else None,
    )
    await _notice_once(update, context, chat.id)
    raise ApplicationHandlerStop


async def _notice_once(update: Update, context: Ctx, chat_id: int) -> None:
    """Queue the not-set-up notice for ``chat_id`` unless it was queued before."""
    svc = services_of(context)
    await svc.records.notice_once(chat_id, svc.views.html(NOTICE), NOTICE)
    message = update.effective_message
    if update.callback_query is not None or (
        message is not None and (message.text or "").startswith("/")
    ):
        await _refuse(update, context)


async def _refuse(update: Update, context: Ctx) -> None:
    """A press or command there is refused like any other: audited (a forged button in a
    stranger's group is what the office wants to see) and a press is answered."""
    query = update.callback_query
    cb = buttons.parse(query.data) if query is not None else None
    outcome = "invalid" if query is not None and cb is None else "refused"
    await audit(
        update,
        context,
        outcome,
        complaint_id=cb.id if cb and cb.prefix in NUMBERED_PREFIXES else None,
    )
    if query is not None:
        await answer(query, services_of(context).views.answer(outcome))
