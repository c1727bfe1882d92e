"""SOP step 7: the Ya / Tidak / Cek ulang buttons under the diagnosis.

Only configured ADBs may decide; the service re-checks the role and the
complaint's state on the server, whatever the button says.
"""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from handlers.base import Ctx, press_of, service


async def press_decision(update: Update, context: Ctx, cb: callbacks.Callback) -> str:
    """Ya (step 9), Tidak (step 8) or Cek ulang (steps 2-6 again)."""
    return await service(context).decide(cb.id, cb.action, press_of(update, context))
