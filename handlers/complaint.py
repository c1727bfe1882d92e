"""SOP step 1: /lapor (guided or one message), /catat for ADBs, the site buttons.

The reporter's site is known, in order, from a site named in the complaint, their
``[[staff]] site``, or their last choice; still unknown (and sites configured), the
bot asks once with the site buttons and files when one is pressed. /catat asks the
ADB the same way when the text names no site.

The dialog's state lives in SQLite (``dialogs``), not in memory, so a restart
between "which site?" and "what is wrong?" loses nothing. A user who files more
than ``[limits]`` allows is told politely when they may file again (at most once
a minute, so a flood gets no flood back); ADBs and /catat are not limited.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType

from bot.domain.model import Actor, Command, Role, may
from bot.domain.outcomes import Outcome
from bot.domain.sites import named_site
from bot.render import buttons
from bot.services import Services
from bot.sop.workflow import RateLimited
from handlers.base import actor_of, answer_first, audit, roles
from handlers.context import Ctx, services_of

# Dialog stages.
ASK_SITE = "site"
ASK_TEXT = "text"

RATE_LIMITED = "rate_limited"  # audit outcome
QUIET = timedelta(minutes=1)  # one flood refusal per user per minute; the rest only audited


def _rest(text: str | None) -> str:
    """What follows the command word, newlines kept."""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


# Control, format (zero-width, direction marks), separator, unassigned and surrogate code
# points: a text of only these is invisible in the agenda and in every report.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Cn", "Cs"})


def _blank(text: str) -> bool:
    """Whether nobody could read anything in ``text`` (``/lapor \x00\x00``)."""
    return all(unicodedata.category(ch) in _INVISIBLE for ch in text)


def _limited(update: Update, context: Ctx) -> bool:
    """Whether the flood guard applies: everyone but the ADBs, who file for others."""
    return Role.ADB not in roles(update, context)


async def _over_limit(update: Update, context: Ctx) -> bool:
    """Before asking any question: has this user filed too many complaints lately? (The
    workflow's one limit; filing checks it again in its transaction.)"""
    user = update.effective_user
    if user is None or not _limited(update, context):
        return False
    return await services_of(context).workflow.over_limit(user.id)


async def _refuse_flood(update: Update, context: Ctx) -> None:
    """Audit the refusal; tell the user when they may file again, once a minute at most."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    lim, now = svc.config.limits, svc.clock()
    window = timedelta(minutes=lim.window_minutes)
    times = await svc.queries.filed_since(user.id, now - window)
    told = await svc.queries.refusals(user.id, RATE_LIMITED, now - QUIET)
    await audit(update, context, RATE_LIMITED, what="/lapor")
    if not told:
        await svc.queue.reply(
            msg.chat.id,
            "rate_limited",
            count=len(times),
            minutes=lim.window_minutes,
            next_at=(times[0] + window) if times else now + window,
        )


async def _known_site(
    svc: Services, user_id: int | None, text: str
) -> tuple[str | None, str | None]:
    """The site without asking, and how it is known ("text", "staff", "last"): named in
    the complaint, the reporter's ``[[staff]] site``, their last choice. (None, None): ask,
    or no sites are configured."""
    names = [s.name for s in svc.config.sites]
    named = named_site(text, names)
    if named is not None:
        return named, "text"
    if user_id is None:
        return None, None
    staff = svc.config.staff_site(user_id)
    if staff is not None:
        return staff, "staff"
    last = await svc.queries.last_site(user_id)
    if last in names:  # a site since removed from the config is not guessed
        return last, "last"
    return None, None


async def _ask_site(
    svc: Services, user_id: int, chat_id: int, *, text: str | None, reporter: str | None = None
) -> None:
    """Ask which site, with its buttons; ``text`` (and ``reporter``) wait in the dialog."""
    await svc.records.set_dialog(user_id, chat_id, ASK_SITE, None, text=text, reporter=reporter)
    await svc.queue.reply(
        chat_id,
        "ask_site",
        markup=svc.views.site_keyboard([s.name for s in svc.config.sites]),
        text=text,
        reporter=reporter,
    )


async def _file(
    update: Update, context: Ctx, site: str | None, text: str, site_from: str | None = None
) -> None:
    msg, user = update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    try:
        await services_of(context).workflow.file(
            reporter=actor_of(user),
            reporter_chat_id=msg.chat.id,
            channel="chat",
            site=site,
            text=text,
            update_id=update.update_id,
            limited=_limited(update, context),
            site_from=site_from,
        )
    except RateLimited:
        await _refuse_flood(update, context)


async def _log(
    update: Update, context: Ctx, reporter: str, site: str | None, text: str, chat_id: int
) -> None:
    """File an ADB's /catat on behalf of ``reporter`` (acknowledged in ``chat_id``)."""
    user = update.effective_user
    if user is None:
        return
    await services_of(context).workflow.file(
        reporter=Actor(None, reporter),
        reporter_chat_id=chat_id,
        channel="catat",
        site=site,
        text=text,
        filed_by=actor_of(user),
        update_id=update.update_id,
        site_from="text" if site else None,
    )


async def lapor_cmd(update: Update, context: Ctx) -> None:
    """/lapor <text> files at once; /lapor alone asks for the site, then the text."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if msg.chat.type != ChatType.PRIVATE:
        await svc.queue.reply(msg.chat.id, "private_only")
        return
    text = _rest(msg.text)
    if _blank(text):  # only control or invisible characters: ask for a description
        text = ""
    if await _over_limit(update, context):
        await svc.records.clear_dialog(user.id)
        await _refuse_flood(update, context)
        return
    if text:
        site, how = await _known_site(svc, user.id, text)
        if site is None and svc.config.sites:  # asked once; filed when a site is pressed
            await _ask_site(svc, user.id, msg.chat.id, text=text)
            return
        await svc.records.clear_dialog(user.id)
        await _file(update, context, site, text, how)
        return
    # Guided: the office's staff list names their site, so only the text is asked (the
    # question says which site); a last choice is only a guess, so the buttons come.
    staff = svc.config.staff_site(user.id)
    if svc.config.sites and staff is None:
        await _ask_site(svc, user.id, msg.chat.id, text=None)
        return
    await svc.records.set_dialog(user.id, msg.chat.id, ASK_TEXT, staff)
    await svc.queue.reply(msg.chat.id, "ask_text", site=staff)


async def press_site(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """A site button of the /lapor or /catat dialog (answered before the dialog is written).

    The button carries the site's key (``buttons.key``), not its place in the config: a key no
    configured site has is stale, and nothing is recorded."""
    svc, user, q = services_of(context), update.effective_user, update.callback_query
    if user is None or q is None or q.message is None:
        return Outcome.STALE
    dialog = await svc.queries.dialog(user.id)
    # The dialog runs where it began: the user's private chat, or the ADB's /catat chat.
    if q.message.chat.id != (dialog.chat_id if dialog and dialog.chat_id else user.id):
        return Outcome.REFUSED
    if dialog is None or dialog.stage != ASK_SITE:
        return Outcome.STALE
    chat_id, message_id = q.message.chat.id, q.message.message_id
    if cb.action == "cancel":
        await answer_first(update, context, Outcome.OK)
        await svc.records.clear_dialog(
            user.id, edit=(chat_id, message_id, svc.views.html("cancelled"), None)
        )
        return Outcome.OK
    site: str | None = None
    if cb.action != "other":
        found = buttons.find(svc.config.sites, cb.action, lambda s: s.name)
        if found is None or cb.id != 0:
            return Outcome.STALE
        site = found.name
    await answer_first(update, context, Outcome.OK)
    if dialog.text is not None:
        await _file_waiting(update, context, dialog.text, dialog.reporter, site)
        return Outcome.OK
    await svc.records.set_dialog(
        user.id,
        chat_id,
        ASK_TEXT,
        site,
        edit=(chat_id, message_id, svc.views.html("ask_text", site=site), None),
    )
    return Outcome.OK


async def _file_waiting(
    update: Update, context: Ctx, text: str, reporter: str | None, site: str | None
) -> None:
    """The site of a complaint given before the question: file it, then close the dialog
    (a crash in between files nothing twice: the press's update filed it), showing the
    choice on the question."""
    svc, user, q = services_of(context), update.effective_user, update.callback_query
    assert user is not None and q is not None and q.message is not None
    chat_id = q.message.chat.id
    if reporter is not None:
        await _log(update, context, reporter, site, text, chat_id)
    else:
        await _file(update, context, site, text)
    chosen = svc.views.html("site_chosen", site=site)
    await svc.records.clear_dialog(user.id, edit=(chat_id, q.message.message_id, chosen, None))


async def cancel_cmd(update: Update, context: Ctx) -> None:
    """/batal: drop a half-filed complaint."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    await svc.records.clear_dialog(user.id)
    await svc.queue.reply(msg.chat.id, "cancelled")


async def text_msg(update: Update, context: Ctx) -> None:
    """Plain text in a private chat: the complaint text of the dialog, or a hint."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None or not msg.text:
        return
    dialog = await svc.queries.dialog(user.id)
    if dialog is None or dialog.stage != ASK_TEXT:
        await svc.queue.reply(msg.chat.id, "hint")
        return
    if _blank(msg.text):  # nothing readable: ask again for the description
        await svc.queue.reply(msg.chat.id, "ask_text", site=dialog.site)
        return
    # File first, then close the dialog: after a crash in between, the update is handled
    # again, finds the dialog open, and filing it again is a no-op (source_update_id).
    await _file(update, context, dialog.site, msg.text)
    await svc.records.clear_dialog(user.id)


async def catat_cmd(update: Update, context: Ctx) -> None:
    """/catat <reporter>: <text> — an ADB logs a complaint received by phone or in person."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if not may(roles(update, context), Command.LOG):
        await audit(update, context, Outcome.REFUSED)
        await svc.queue.reply(msg.chat.id, "not_allowed")
        return
    name, sep, text = _rest(msg.text).partition(":")
    if not sep or _blank(name) or _blank(text):  # nothing readable in either part
        await svc.queue.reply(msg.chat.id, "catat_usage")
        return
    reporter, text = name.strip()[:100], text.strip()
    site = named_site(text, [s.name for s in svc.config.sites])
    if site is None and svc.config.sites:  # the ADB is asked, in this chat
        await _ask_site(svc, user.id, msg.chat.id, text=text, reporter=reporter)
        return
    await _log(update, context, reporter, site, text, msg.chat.id)
