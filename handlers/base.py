"""What every handler needs: the services, who is acting, and a safe callback answer.

Also the one router for inline buttons: it parses the callback data once
(``bot.render.buttons``) and hands it to the module that owns the prefix;
anything malformed gets a polite answer and changes nothing; a button that no longer
applies loses its keyboard (a message's buttons all wait for the same state). A button's
handler answers the press first (``answer_first``, with the outcome the SOP
layer previews), then does the work; the router answers any press its handler
did not. Every press that changes nothing, and every refused command, is an
``audit`` row.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram import CallbackQuery, Message, Update, User
from telegram.error import TelegramError

from bot.domain.model import Actor, Role
from bot.domain.outcomes import Outcome, Refused
from bot.domain.roles import roles_of
from bot.render import buttons
from bot.sop.workflow import Press
from handlers.context import Ctx, services_of

log = logging.getLogger(__name__)

# Their id is a number the office uses (an incident's or a complaint's): audited with the press.
NUMBERED_PREFIXES = frozenset({"dec", "rec", "jf", "ven", "kel"})
ButtonHandler = Callable[[Update, Ctx, buttons.Callback], Awaitable[Outcome]]


async def outcome_of(operation: Awaitable[Outcome]) -> Outcome:
    """The one place a refusal from the SOP layer becomes an answer: its outcome."""
    try:
        return await operation
    except Refused as refusal:
        return refusal.outcome


def actor_of(user: User | None) -> Actor:
    if user is None:
        return Actor(None, "?")
    return Actor(user.id, user.full_name or str(user.id))


def roles(update: Update, context: Ctx) -> frozenset[Role]:
    user, chat = update.effective_user, update.effective_chat
    return roles_of(
        services_of(context).settings, user.id if user else None, chat.id if chat else None
    )


def press_of(update: Update, context: Ctx) -> Press:
    """Who acts, where: the pressed button's message, or the command's."""
    q = update.callback_query
    msg = q.message if q else update.effective_message
    return Press(
        actor=actor_of(update.effective_user),
        roles=roles(update, context),
        chat_id=msg.chat.id if msg else None,
        message_id=msg.message_id if msg else None,
        update_id=update.update_id,
    )


# Whether the press being routed was answered already (by its handler, before the work).
_ANSWERED: ContextVar[list[bool] | None] = ContextVar("answered", default=None)


async def answer_first(update: Update, context: Ctx, expected: Outcome) -> None:
    """Answer the press now, before the write transaction, with the outcome expected."""
    query, answered = update.callback_query, _ANSWERED.get()
    if query is None or (answered is not None and answered[0]):
        return
    if answered is not None:
        answered[0] = True
    await answer(query, services_of(context).views.answer(expected))


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press; an old query (after a restart) must not break the handler."""
    try:
        await query.answer(text, show_alert=False)
    except TelegramError as exc:
        log.info("could not answer callback query: %s", exc)


def _command_word(update: Update) -> str | None:
    msg = update.effective_message
    words = (msg.text or "").split(maxsplit=1) if msg else []
    return words[0][:32] if words else None


async def audit(
    update: Update,
    context: Ctx,
    outcome: str,
    *,
    what: str | None = None,
    complaint_id: int | None = None,
) -> None:
    """Record a refused press or command (who, where, what, why) for the office to review."""
    user, chat, query = update.effective_user, update.effective_chat, update.callback_query
    if what is None:
        what = query.data if query is not None else _command_word(update)
    log.info(
        "refused (%s) %s from user %s in chat %s",
        outcome,
        "button" if query else "command",
        user.id if user else None,
        chat.id if chat else None,
    )
    await services_of(context).records.refusal(
        update_id=update.update_id,
        user=actor_of(user),
        chat_id=chat.id if chat else None,
        kind="button" if query is not None else "command",
        what=what,
        outcome=outcome,
        complaint_id=complaint_id,
    )


async def note_chat(update: Update, context: Ctx) -> None:
    """A chat that writes to us again is reachable again (it unblocked the bot)."""
    chat = update.effective_chat
    if chat is not None:
        await services_of(context).records.chat_wrote(chat.id)


def route_buttons(
    routes: dict[str, ButtonHandler],
) -> Callable[[Update, Ctx], Coroutine[Any, Any, None]]:
    """One callback handler for every inline button."""

    async def on_button(update: Update, context: Ctx) -> None:
        """Parse the callback data, dispatch by prefix; the press is answered once."""
        query = update.callback_query
        if query is None:
            return
        svc = services_of(context)
        cb = buttons.parse(query.data)
        handler = routes.get(cb.prefix) if cb else None
        if cb is None or handler is None:
            await audit(update, context, "invalid")
            await answer(query, svc.views.answer("invalid"))
            return
        answered = [False]
        token = _ANSWERED.set(answered)
        try:
            key = await outcome_of(handler(update, context, cb))
        finally:
            _ANSWERED.reset(token)
        if key != Outcome.OK:
            await audit(
                update, context, key, complaint_id=cb.id if cb.prefix in NUMBERED_PREFIXES else None
            )
        if not answered[0]:
            await answer(query, svc.views.answer(key))
        if key == Outcome.STALE and (pressed := _carrying(query)) is not None:
            await svc.queue.drop_pressed_now(*pressed)  # nobody sees the stale button again

    return on_button


def _carrying(query: CallbackQuery) -> tuple[int, int] | None:
    """The pressed message (chat, message id), if Telegram shows it carrying the pressed
    data: a client can forge data under any message, and must not strip a live one. A
    message Telegram no longer shows the bot (too old) is left as it is."""
    msg = query.message
    markup = msg.reply_markup if isinstance(msg, Message) else None
    if msg is None or markup is None:
        return None
    datas = {b.callback_data for row in markup.inline_keyboard for b in row}
    return (msg.chat.id, msg.message_id) if query.data in datas else None
