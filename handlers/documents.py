"""SOP step 10 on paper: /rekap [bulan], the monthly Rekapitulasi as a PDF in the chat;
/beritaacara <nomor gangguan>, one incident's Berita Acara Gangguan Jaringan.

For the ADB, JF ADB and Kabid (in their group); a reporter is told politely that
it is not for them. The PDF is sent straight away with sendDocument rather than
through the outbox: it is an answer to the person asking, hundreds of kilobytes
that do not belong in the outbox table, and made again if they ask again.
``/agenda`` alone stays the chat summary in ``handlers/agenda.py``; ``/agenda
<bulan> [lokasi]`` sends the Buku Agenda of that month (of one site) as a PDF here.

A document takes seconds to lay out; the update loop must not wait for it, or a
/lapor sent meanwhile waits too. The command is answered at once ("sedang
disusun"), and the document is made and sent beside the loop, one at a time
(``_Desk``), with at most ``MAX_WAITING`` requests queued behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import InputFile, ReplyParameters, Update
from telegram.constants import ParseMode

from bot.documents.period import PeriodError
from bot.documents.service import Document
from bot.domain.model import Command, may
from bot.domain.outcomes import Refused
from bot.sop.berita import incident_number, is_complaint_number
from handlers.base import audit, roles
from handlers.context import Ctx, services_of

MAX_WAITING = 3  # document requests queued behind the one being made
_DESK = "documents_desk"


@dataclass
class _Desk:
    """One document at a time, beside the update loop."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0  # requests made or waiting


def _desk(context: Ctx) -> _Desk:
    desk = context.bot_data.get(_DESK)
    if not isinstance(desk, _Desk):
        desk = context.bot_data[_DESK] = _Desk()
    return desk


async def _send_later(
    update: Update,
    context: Ctx,
    chat_id: int,
    build: Callable[[], Awaitable[Document]],
    caption: Callable[[Document], str],
    wait: str,
    period: str,
) -> None:
    """Say it is being made (template ``wait``), then make and send the document beside
    the update loop; when too many wait already, say so instead."""
    desk, queue = _desk(context), services_of(context).queue
    if desk.queued > MAX_WAITING:
        await queue.reply(chat_id, "documents/busy")
        return
    await queue.reply(chat_id, wait, period=period)
    _make_beside(update, context, desk, chat_id, build, caption)


def _make_beside(
    update: Update,
    context: Ctx,
    desk: _Desk,
    chat_id: int,
    build: Callable[[], Awaitable[Document]],
    caption: Callable[[Document], str],
    answering: Callable[[], Awaitable[int | None]] | None = None,
) -> None:
    """Make the document at the desk, one at a time, and send it to ``chat_id`` (as an
    answer to the message ``answering`` gives, if it gives one)."""
    desk.queued += 1

    async def make_and_send() -> None:
        try:
            async with desk.lock:
                doc = await build()
                reply = await answering() if answering is not None else None
                await context.bot.send_document(
                    chat_id,
                    InputFile(doc.data, filename=doc.filename),
                    caption=caption(doc),
                    parse_mode=ParseMode.HTML,
                    reply_parameters=ReplyParameters(reply, allow_sending_without_reply=True)
                    if reply is not None
                    else None,
                )
        finally:
            desk.queued -= 1

    # With the update, a failure reaches the error handler, which tells the person.
    context.application.create_task(make_and_send(), update=update, name="document")


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
    words = period.words(svc.settings.lang)
    await _send_later(
        update,
        context,
        msg.chat.id,
        lambda: svc.documents.rekap_document(period, "pdf", now),
        lambda doc: svc.views.html(
            "documents/rekap_caption", period=words, count=doc.complaints, auto=False
        ),
        "documents/rekap_wait",
        words,
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
    named = period.words(svc.settings.lang)
    await _send_later(
        update,
        context,
        msg.chat.id,
        lambda: svc.documents.agenda_document(period, "pdf", now, site=site),
        lambda doc: svc.views.html(
            "documents/agenda_caption", period=named, count=doc.complaints, site=site
        ),
        "documents/agenda_wait",
        named,
    )


async def berita_cmd(update: Update, context: Ctx) -> None:
    """/beritaacara <nomor gangguan>: that incident's Berita Acara Gangguan Jaringan (PDF)."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    if not may(roles(update, context), Command.READ_ALL):
        await audit(update, context, "refused")
        await svc.queue.reply(msg.chat.id, "documents/berita_not_allowed")
        return
    args = (msg.text or "").partition(" ")[2]
    number = incident_number(args)
    if number is None:
        await svc.queue.reply(
            msg.chat.id, "documents/berita_usage", complaint=is_complaint_number(args)
        )
        return
    try:  # said at once, before "sedang disusun"; the number is checked again when made
        inc = await svc.berita.incident(number)
    except Refused:
        await svc.queue.reply(msg.chat.id, "documents/berita_not_found", number=number)
        return
    now = svc.clock()
    await _send_later(
        update,
        context,
        msg.chat.id,
        lambda: svc.berita.document(inc.id, now),
        lambda doc: svc.views.html("documents/berita_caption", tag=inc.tag, count=doc.complaints),
        "documents/berita_wait",
        inc.tag,
    )


async def attach_berita(update: Update, context: Ctx, iid: int) -> None:
    """After Ya closed a long outage (``[sla] berita_acara_after_minutes``): its Berita Acara
    to the Kabid's group, answering the report. Made after the report is queued, so the
    report goes first; it is not stored: if the bot stops before it is sent, it is not
    sent again by itself (/beritaacara makes it on request)."""
    svc = services_of(context)
    inc = await svc.berita.due(iid, svc.config.sla.berita_acara_after_minutes)
    if inc is None:
        return
    now = svc.clock()
    _make_beside(
        update,
        context,
        _desk(context),
        svc.settings.kabid_chat_id,
        lambda: svc.berita.document(inc.id, now),
        lambda doc: svc.views.html(
            "documents/berita_caption", tag=inc.tag, count=doc.complaints, attached=True
        ),
        lambda: svc.berita.report_message(inc),
    )
