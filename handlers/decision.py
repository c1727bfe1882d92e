"""SOP step 7: the Ya / Tidak / Cek ulang buttons under the diagnosis.

Only configured ADBs may decide; the workflow re-checks the role and the
complaint's state on the server, whatever the button says.
"""

from __future__ import annotations

from telegram import Update

from bot.sop.model import Action
from bot.telegram import callbacks
from bot.telegram.context import Ctx, services_of
from handlers.base import press_of

# The buttons' codes (bot.telegram.callbacks) and the SOP action each one asks for.
DECISIONS = {"ya": Action.YES, "no": Action.NO, "re": Action.RECHECK}


async def press_decision(update: Update, context: Ctx, cb: callbacks.Callback) -> str:
    """Ya (step 9), Tidak (step 8) or Cek ulang (steps 2-6 again)."""
    return await services_of(context).workflow.decide(cb.id, DECISIONS[cb.action],
                                                      press_of(update, context))
