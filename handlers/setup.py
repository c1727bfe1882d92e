"""/id: what an operator needs to set the bot up, read in the chat itself.

Answered in any chat, from anyone, even in a group the bot is not set up for
(``bot.telegram.groups`` lets it through): the chat's id and type, the
sender's numeric id and, in a group, whether the bot may post there, with
the line to paste into ``.env``. This replaces reading raw ``getUpdates``
JSON with the bot stopped.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.settings.environment import Settings
from handlers.context import Ctx, services_of

log = logging.getLogger(__name__)


def _configured_as(settings: Settings, chat_id: int) -> str | None:
    """The ``.env`` variable that already names this chat, if any."""
    for name, value in (
        ("JF_ADB_CHAT_ID", settings.jf_adb_chat_id),
        ("KABID_CHAT_ID", settings.kabid_chat_id),
        ("ADB_CHAT_ID", settings.adb_chat_id),
    ):
        if value == chat_id:
            return name
    return None


def _person_roles(settings: Settings, user_id: int) -> list[str]:
    """The ``.env`` variables that already list this person."""
    return [
        name
        for name, ids in (
            ("ADB_USER_IDS", settings.adb_user_ids),
            ("JF_ADB_USER_IDS", settings.jf_adb_user_ids),
            ("KABID_USER_IDS", settings.kabid_user_ids),
        )
        if user_id in ids
    ]


async def may_post(context: Ctx, chat_id: int) -> bool | None:
    """Whether the bot may send messages in a group; None when Telegram would not say."""
    bot = context.bot
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
        status = member.status
        if status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR):
            # in a channel only an administrator "can_post_messages"
            return getattr(member, "can_post_messages", None) is not False
        if status == ChatMemberStatus.RESTRICTED:
            return bool(getattr(member, "can_send_messages", False))
        if status != ChatMemberStatus.MEMBER:
            return False  # left or kicked
        chat = await bot.get_chat(chat_id)
    except TelegramError as exc:
        log.info("could not read the bot's rights in chat %s: %s", chat_id, exc)
        return None
    perms = chat.permissions
    return perms is None or perms.can_send_messages is not False


async def id_cmd(update: Update, context: Ctx) -> None:
    """Show the chat's id and type, the sender's id, and whether the bot may post here."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    svc = services_of(context)
    private = chat.type == ChatType.PRIVATE
    await svc.queue.reply(
        chat.id,
        "chat_id",
        cid=chat.id,
        chat_type=str(chat.type),
        private=private,
        title=chat.title or "",
        user_id=user.id if user else None,
        user_name=user.full_name if user else "",
        can_post=None if private else await may_post(context, chat.id),
        configured_as=_configured_as(svc.settings, chat.id),
        person_roles=_person_roles(svc.settings, user.id) if user else [],
    )
