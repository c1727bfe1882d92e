"""Roles: who someone is in the SOP, decided on the server from configured ids.

ADBs are configured user ids. The JF ADB and the Kabid are group chats: a
button pressed or a command sent inside that group acts with that role.
What each role may do is one table: ``bot.sop.model.PERMITTED``.
"""

from __future__ import annotations

from bot.config import Settings
from bot.sop.model import Role


def roles_of(settings: Settings, user_id: int | None, chat_id: int | None) -> frozenset[Role]:
    """The roles of ``user_id`` acting in ``chat_id``."""
    roles = {Role.USER}
    if user_id is not None and user_id in settings.adb_user_ids:
        roles.add(Role.ADB)
    if chat_id is not None and chat_id == settings.jf_adb_chat_id:
        roles.add(Role.JF_ADB)
    if chat_id is not None and chat_id == settings.kabid_chat_id:
        roles.add(Role.KABID)
    return frozenset(roles)
