"""/status (staff: every site as monitoring sees it) and /pemeliharaan (ADB: planned
maintenance windows, during which monitoring keeps quiet about a site).

Parsing only; ``bot.sop.monitor.Monitoring`` checks the roles again and does the work.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.domain import model
from bot.domain.model import Command
from bot.domain.outcomes import Outcome, Refused
from bot.sop.monitor import parse_window
from handlers.base import audit, press_of, roles
from handlers.context import Ctx, services_of

_END = re.compile(r"^(?:selesai|akhiri|end|stop)\s+#?(\d{1,9})$", re.IGNORECASE)


def _args(update: Update) -> str:
    msg = update.effective_message
    parts = (msg.text or "").split(maxsplit=1) if msg else []
    return parts[1].strip() if len(parts) > 1 else ""


async def status_cmd(update: Update, context: Ctx) -> None:
    """/status: each site's state and since when, open incidents, maintenance windows."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    if not model.may(roles(update, context), Command.STATUS):
        await audit(update, context, Outcome.REFUSED)
        await svc.queue.reply(msg.chat.id, "not_allowed")
        return
    await svc.queue.reply(msg.chat.id, "status", **await svc.monitoring.status())


async def maintenance_cmd(update: Update, context: Ctx) -> None:
    """/pemeliharaan [<lokasi> <durasi> <alasan> | selesai <nomor>]: plan, list or end."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    press, args, mon = press_of(update, context), _args(update), svc.monitoring
    if not model.may(press.roles, Command.MAINTENANCE):
        await audit(update, context, Outcome.REFUSED)
        await svc.queue.reply(msg.chat.id, "not_allowed")
        return
    if not args:
        await svc.queue.reply(
            msg.chat.id,
            "maintenance",
            key="list",
            windows=await mon.windows(),
            w=None,
            sites=mon.site_names,
        )
        return
    end = _END.match(args)
    if end is not None:
        try:
            key, w = "ended", await mon.end_window(int(end.group(1)), press)
        except Refused:  # the role was checked above: no such open window
            key, w = "not_found", None
        await svc.queue.reply(
            msg.chat.id,
            "maintenance",
            key=key,
            w=w,
            windows=[],
            sites=mon.site_names,
            number=int(end.group(1)),
        )
        return
    req = parse_window(args)
    try:
        result = await mon.open_window(req, press) if req is not None else None
    except Refused:  # the role was checked above: no such site
        result = None
    if result is None:
        await svc.queue.reply(
            msg.chat.id,
            "maintenance",
            key="unknown_site" if req else "usage",
            w=None,
            windows=[],
            sites=mon.site_names,
            typed=req.site if req else "",
        )
        return
    await svc.queue.reply(
        msg.chat.id, "maintenance", key="opened", w=result, windows=[], sites=mon.site_names
    )
