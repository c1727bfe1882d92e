"""The monthly recap wired to the running bot: built from the services, sent through Telegram."""

from __future__ import annotations

from telegram import Bot, InputFile
from telegram.constants import ParseMode

from bot.documents.service import Document
from bot.services import Services
from bot.sop.monthly import MonthlyRecap, SendDocument


def for_bot(services: Services, bot: Bot) -> tuple[MonthlyRecap, SendDocument]:
    """The monthly recap for the running bot: to the Kabid group, through ``bot``."""
    views, lang = services.views, services.settings.lang

    def caption(doc: Document) -> str:
        return views.html(
            "documents/rekap_caption",
            period=doc.period.words(lang),
            count=doc.complaints,
            auto=True,
        )

    async def send(chat_id: int, doc: Document, text: str) -> int | None:
        msg = await bot.send_document(
            chat_id,
            InputFile(doc.data, filename=doc.filename),
            caption=text,
            parse_mode=ParseMode.HTML,
        )
        return msg.message_id

    recap = MonthlyRecap(
        services.documents, services.db, services.settings.kabid_chat_id, services.clock, caption
    )
    return recap, send
