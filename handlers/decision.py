"""SOP step 7: the Ya / Tidak / Cek ulang buttons under the diagnosis; after Ya, the
"recovery database" buttons (done / not needed).

Only configured ADBs may decide; the workflow re-checks the role and the
complaint's state on the server, whatever the button says.
"""

from __future__ import annotations

from telegram import Update

from bot.domain.model import Action
from bot.domain.outcomes import Outcome
from bot.render import buttons
from handlers import documents
from handlers.base import answer_first, press_of
from handlers.context import Ctx, services_of

# The buttons' codes (bot.render.buttons) and the SOP action each one asks for.
DECISIONS = {"ya": Action.YES, "no": Action.NO, "re": Action.RECHECK}


async def press_decision(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """Ya (step 9), Tidak (step 8) or Cek ulang (steps 2-6 again); answered first."""
    workflow, press, action = (
        services_of(context).workflow,
        press_of(update, context),
        DECISIONS[cb.action],
    )
    await answer_first(update, context, await workflow.preview_decide(cb.id, action, press))
    result = await workflow.decide(cb.id, action, press)
    if result is Outcome.OK and action is Action.YES:  # the report to the Kabid is queued
        await documents.attach_berita(update, context, cb.id)
    return result


async def press_recovery(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """After Ya: "Ya, recovery database sudah dilakukan" / "Tidak perlu recovery"."""
    workflow, press = services_of(context).workflow, press_of(update, context)
    await answer_first(update, context, await workflow.preview_recovery(cb.id, press))
    return await workflow.answer_recovery(cb.id, cb.action == "ya", press)
