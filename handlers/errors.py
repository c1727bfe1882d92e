"""The error handler: log the traceback for the operator, tell the user kindly.

Never a traceback in chat; the log record is redacted (``checks.redact``).
"""

from __future__ import annotations

import logging

from telegram import Update

from handlers.base import answer
from handlers.context import Ctx, services_of

log = logging.getLogger(__name__)


async def on_error(update: object, context: Ctx) -> None:
    """Log first, then apologise in the user's language; never raise from here."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        svc = services_of(context)
        if update.callback_query is not None:
            await answer(update.callback_query, svc.views.answer("error"))
        chat = update.effective_chat
        if chat is not None:
            await svc.queue.reply(chat.id, "error")
    except Exception:
        log.exception("could not tell the user about the error")
