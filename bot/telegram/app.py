"""build_application: wiring only. Handlers live in ``handlers/``, logic in ``bot/sop/``.

The Application has no Updater: ``bot/telegram/polling.py`` runs its own
fetch loop so an update is stored before it is confirmed to Telegram.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services import Services
from bot.telegram.groups import guard_unknown_groups
from checks import redact
from handlers import (
    agenda,
    base,
    complaint,
    decision,
    documents,
    errors,
    guard,
    incident,
    setup,
    start,
    status,
    vendor,
)
from handlers.context import App, attach


def build_application(services: Services) -> App:
    """The python-telegram-bot Application for ``services``, with every handler in order."""
    settings = services.settings
    redact.install([settings.token])
    redact.quiet_http_loggers()
    app: App = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .updater(None)
        .build()
    )
    attach(app.bot_data, services)
    private = filters.ChatType.PRIVATE

    # Group -3 before anything: edits are dropped, one user's flood is cut (handlers/flood.py).
    app.add_handler(TypeHandler(Update, guard.guard), group=-3)
    # Group -2: in a group the bot is not set up for, nothing but /id.
    app.add_handler(TypeHandler(Update, guard_unknown_groups), group=-2)
    # Group -1, for every update let through: a chat that writes is reachable again.
    app.add_handler(TypeHandler(Update, base.note_chat), group=-1)

    # Group 0, first match wins:
    # 1. commands, in the order of /bantuan
    app.add_handler(CommandHandler("start", start.start_cmd))
    app.add_handler(CommandHandler(["bantuan", "help"], start.help_cmd))
    app.add_handler(CommandHandler("id", setup.id_cmd))  # any chat, anyone: set-up data
    app.add_handler(CommandHandler("lapor", complaint.lapor_cmd))
    app.add_handler(CommandHandler("batal", complaint.cancel_cmd))
    app.add_handler(CommandHandler("catat", complaint.catat_cmd))
    app.add_handler(CommandHandler("lacak", agenda.lacak_cmd))
    app.add_handler(CommandHandler("agenda", agenda.agenda_cmd))
    app.add_handler(CommandHandler("rekap", documents.rekap_cmd))
    app.add_handler(CommandHandler("beritaacara", documents.berita_cmd))
    app.add_handler(CommandHandler("tiket", vendor.ticket_cmd))
    app.add_handler(CommandHandler("pisah", incident.split_cmd))
    app.add_handler(CommandHandler("gabung", incident.merge_cmd))
    app.add_handler(CommandHandler("catatan", incident.note_cmd))
    app.add_handler(CommandHandler("tutup", incident.dismiss_cmd))
    app.add_handler(CommandHandler("status", status.status_cmd))
    app.add_handler(CommandHandler("pemeliharaan", status.maintenance_cmd))
    # 2. every inline button, through the one callback-data parser
    app.add_handler(
        CallbackQueryHandler(
            base.route_buttons(
                {
                    "lap": complaint.press_site,
                    "dec": decision.press_decision,
                    "rec": decision.press_recovery,
                    "jf": vendor.press_jf,
                    "ven": vendor.press_vendor,
                    "kel": incident.press_still_down,
                }
            )
        )
    )
    # 3. a reply to the bot's request for the ADB's note is that note
    #    (any other reply in a private chat goes on to 5.)
    app.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, incident.note_reply)
    )
    # 4. a "#K42" tag sent to the bot shows that complaint's history
    app.add_handler(MessageHandler(filters.Regex(agenda.HASHTAG), agenda.hashtag_msg))
    # 5. plain text in a private chat: the /lapor dialog's answer, or a hint
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, complaint.text_msg))
    # 6. unknown commands in a private chat
    app.add_handler(MessageHandler(filters.COMMAND & private, start.unknown_cmd))

    app.add_error_handler(errors.on_error)
    return app
