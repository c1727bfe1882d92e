"""Roles: who someone is in the SOP, decided on the server from configured ids.

ADBs are configured user ids. The JF ADB and the Kabid are configured user ids
too when ``JF_ADB_USER_IDS`` / ``KABID_USER_IDS`` are set: then only those
people hold the role, wherever they write, and being in the group is not
enough (a group member who is not the JF ADB once forged "vendor called"
presses). When they are not set, the older rule holds: a button pressed or a
command sent inside that group acts with that role (``netmaint doctor``
warns about it). What each role may do is one table: ``bot.sop.model.PERMITTED``.
"""

from __future__ import annotations

from bot.domain.model import Role
from bot.settings.environment import Settings


def _holds(people: tuple[int, ...], group: int, user_id: int | None, chat_id: int | None) -> bool:
    """By person when the people are configured, else by being in the role's group."""
    if people:
        return user_id is not None and user_id in people
    return chat_id is not None and chat_id == group


def roles_of(settings: Settings, user_id: int | None, chat_id: int | None) -> frozenset[Role]:
    """The roles of ``user_id`` acting in ``chat_id``."""
    roles = {Role.USER}
    if user_id is not None and user_id in settings.adb_user_ids:
        roles.add(Role.ADB)
    if _holds(settings.jf_adb_user_ids, settings.jf_adb_chat_id, user_id, chat_id):
        roles.add(Role.JF_ADB)
    if _holds(settings.kabid_user_ids, settings.kabid_chat_id, user_id, chat_id):
        roles.add(Role.KABID)
    return frozenset(roles)
