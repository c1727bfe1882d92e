"""SOP step 11: the JF ADB report's buttons, the vendor list, and /tiket.

"Hubungi pihak ketiga" lists the configured vendors; choosing one records
the call; ``/tiket <no> <ticket>`` records the vendor's own ticket number;
"Sudah diperbaiki" re-runs the checks and goes back to the decision.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.domain.outcomes import Outcome
from bot.render import buttons
from handlers.base import answer_first, audit, outcome_of, press_of
from handlers.context import Ctx, services_of

_TICKET = re.compile(r"^#?K?(\d{1,12})\s+(\S.{0,63})$", re.IGNORECASE | re.DOTALL)


async def press_jf(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """Sudah diperbaiki ("fix") / Hubungi pihak ketiga ("ven")."""
    workflow, press = services_of(context).workflow, press_of(update, context)
    if cb.action == "ven":
        await answer_first(update, context, await workflow.preview_show_vendors(cb.id, press))
        return await workflow.show_vendors(cb.id, press)
    await answer_first(update, context, await workflow.preview_fixed(cb.id, press))
    return await workflow.fixed(cb.id, press)


async def press_vendor(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """A vendor was called: the action is its key (``buttons.key``), not its position."""
    workflow, press = services_of(context).workflow, press_of(update, context)
    await answer_first(update, context, await workflow.preview_call_vendor(cb.id, cb.action, press))
    return await workflow.call_vendor(cb.id, cb.action, press)


async def ticket_cmd(update: Update, context: Ctx) -> None:
    """/tiket <no> <ticket number>: the vendor's own reference."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    parts = (msg.text or "").split(maxsplit=1)
    m = _TICKET.match(parts[1].strip()) if len(parts) > 1 else None
    if m is None:
        await svc.queue.reply(msg.chat.id, "ticket_usage")
        return
    cid, ticket = int(m.group(1)), m.group(2).strip()
    key = await outcome_of(svc.workflow.set_ticket(cid, ticket, press_of(update, context)))
    if key in (Outcome.NOT_FOUND, Outcome.REFUSED):  # the same answer: numbers leak nothing
        await audit(update, context, key, complaint_id=cid)
        await svc.queue.reply(msg.chat.id, "not_found", number=cid)
