"""/start and /bantuan (/help): greet and say what this person may do."""

from __future__ import annotations

from telegram import Update

from handlers.base import roles
from handlers.context import Ctx, services_of


def _role_names(update: Update, context: Ctx) -> list[str]:
    return sorted(str(r) for r in roles(update, context))


def _group_of(chat_id: int, context: Ctx) -> str | None:
    """Which configured group this chat is ("jf_adb", "kabid"), so a person listed in
    JF_ADB_USER_IDS is not told "this is the JF ADB group" in their private chat."""
    settings = services_of(context).settings
    return {settings.jf_adb_chat_id: "jf_adb", settings.kabid_chat_id: "kabid"}.get(chat_id)


async def start_cmd(update: Update, context: Ctx) -> None:
    """Greet the user and list what their role may do."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    await services_of(context).queue.reply(
        chat.id,
        "start",
        user_name=user.full_name if user else "",
        roles=_role_names(update, context),
        group=_group_of(chat.id, context),
        in_group=chat.type != chat.PRIVATE,
    )


async def help_cmd(update: Update, context: Ctx) -> None:
    """Explain every command this person may use."""
    chat = update.effective_chat
    if chat is None:
        return
    await services_of(context).queue.reply(
        chat.id, "help", roles=_role_names(update, context), in_group=chat.type != chat.PRIVATE
    )


async def unknown_cmd(update: Update, context: Ctx) -> None:
    """A command we do not know: point to /bantuan."""
    chat = update.effective_chat
    if chat is not None:
        await services_of(context).queue.reply(chat.id, "unknown")
