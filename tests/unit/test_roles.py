"""Roles by person (JF_ADB_USER_IDS, KABID_USER_IDS) and by group when those are unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.model import Role
from bot.domain.roles import roles_of
from bot.settings.environment import SettingsError, load_settings
from tests.support.office import ADB_ID, JF_CHAT, KABID_CHAT, OTHER_ID, make_settings


def test_by_group_when_no_people_are_listed(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "n.db")
    assert Role.JF_ADB in roles_of(s, OTHER_ID, JF_CHAT)
    assert Role.KABID in roles_of(s, OTHER_ID, KABID_CHAT)
    assert roles_of(s, OTHER_ID, OTHER_ID) == {Role.USER}


def test_by_person_when_listed_anywhere_and_only_them(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "n.db").model_copy(
        update={"jf_adb_user_ids": (9100,), "kabid_user_ids": (9200,)}
    )
    assert roles_of(s, OTHER_ID, JF_CHAT) == {Role.USER}
    assert roles_of(s, OTHER_ID, KABID_CHAT) == {Role.USER}
    assert Role.JF_ADB in roles_of(s, 9100, JF_CHAT) and Role.JF_ADB in roles_of(s, 9100, 9100)
    assert Role.KABID in roles_of(s, 9200, KABID_CHAT)
    assert roles_of(s, ADB_ID, JF_CHAT) == {Role.USER, Role.ADB}


def test_the_variables_parse_like_adb_user_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("JF_ADB_USER_IDS", "KABID_USER_IDS", "ADB_USER_IDS", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    base = (
        "TELEGRAM_BOT_TOKEN=123456789:AAAAAAAAAAAAAAAA\nADB_USER_IDS=1\n"
        "JF_ADB_CHAT_ID=-1\nKABID_CHAT_ID=-2\n"
    )
    env.write_text(base + "JF_ADB_USER_IDS= 5, 6\nKABID_USER_IDS=\n")
    s = load_settings(env)
    assert s.jf_adb_user_ids == (5, 6) and s.kabid_user_ids == ()
    env.write_text(base + "KABID_USER_IDS=pak kabid\n")
    with pytest.raises(SettingsError, match=r"KABID_USER_IDS: .*expected empty, or comma"):
        load_settings(env)
