"""SOP step 10 on paper: /rekap [bulan], the monthly Rekapitulasi as a PDF in the chat.

For the ADB, JF ADB and Kabid (in their group); a reporter is told politely that
it is not for them. The PDF is sent straight away with sendDocument rather than
through the outbox: it is an answer to the person asking, hundreds of kilobytes
that do not belong in the outbox table, and made again if they ask again.
``/agenda`` alone stays the chat summary in ``handlers/agenda.py``; ``/agenda
<bulan> [lokasi]`` sends the Buku Agenda of that month (of one site) as a PDF here.
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ParseMode

from bot.documents.period import PeriodError
from bot.domain.model import Command, may
from handlers.base import audit, roles
from handlers.context import Ctx, services_of


async def rekap_cmd(update: Update, context: Ctx) -> None:
    """/rekap [bulan]: the month's recap (default: last month) as a PDF document."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    if not may(roles(update, context), Command.READ_ALL):
        await audit(update, context, "refused")
        await svc.queue.reply(msg.chat.id, "documents/rekap_not_allowed")
        return
    now = svc.clock()
    try:
        period = svc.documents.month((msg.text or "").partition(" ")[2], now)
    except PeriodError:
        await svc.queue.reply(msg.chat.id, "documents/rekap_usage")
        return
    lang = svc.settings.lang
    await svc.queue.reply(msg.chat.id, "documents/rekap_wait", period=period.words(lang))
    doc = await svc.documents.rekap_document(period, "pdf", now)
    await context.bot.send_document(
        msg.chat.id,
        InputFile(doc.data, filename=doc.filename),
        caption=svc.views.html(
            "documents/rekap_caption", period=period.words(lang), count=doc.complaints, auto=False
        ),
        parse_mode=ParseMode.HTML,
    )


async def agenda_document_cmd(update: Update, context: Ctx, args: str) -> None:
    """/agenda <bulan> [lokasi]: the Buku Agenda of a month, of one site if named, as a PDF
    (staff only; ``handlers/agenda.py`` has checked the role)."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    now, words = svc.clock(), args.split()
    for n in (2, 1):  # "November 2026 Kantor Dinas" or "2026-11 Kantor Dinas"
        try:
            period = svc.documents.month(" ".join(words[:n]), now)
        except PeriodError:
            continue
        site = " ".join(words[n:]) or None
        break
    else:
        await svc.queue.reply(msg.chat.id, "documents/agenda_usage")
        return
    lang = svc.settings.lang
    doc = await svc.documents.agenda_document(period, "pdf", now, site=site)
    await context.bot.send_document(
        msg.chat.id,
        InputFile(doc.data, filename=doc.filename),
        caption=svc.views.html(
            "documents/agenda_caption", period=period.words(lang), count=doc.complaints, site=site
        ),
        parse_mode=ParseMode.HTML,
    )
