"""Bot settings: every variable named when missing or malformed, the token never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret"
NAMES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "ADB_USER_IDS", "ADB_CHAT_ID",
         "JF_ADB_CHAT_ID", "KABID_CHAT_ID", "NETMAINT_DB", "NETMAINT_CONFIG", "NETMAINT_LANG",
         "NETMAINT_TZ", "NETMAINT_POLL_TIMEOUT")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own environment must not leak into these tests."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def _env(tmp_path: Path, text: str) -> Path:
    p = tmp_path / ".env"
    p.write_text(text, encoding="utf-8")
    return p


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    s = load_settings(_env(tmp_path, f"""
TELEGRAM_BOT_TOKEN={TOKEN}
ADB_USER_IDS=111, 222
ADB_CHAT_ID=
JF_ADB_CHAT_ID=-1001
KABID_CHAT_ID=-1002
NETMAINT_LANG=en
"""))
    assert s.token == TOKEN and s.adb_user_ids == (111, 222) and s.adb_chat_id is None
    assert s.adb_chats == (111, 222) and s.lang == "en"
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert str(s.netmaint_db) == "data/netmaint.db"
    assert TOKEN not in repr(s)


def test_every_missing_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(_env(tmp_path, ""))
    text = str(err.value)
    for name in ("TELEGRAM_BOT_TOKEN", "ADB_USER_IDS", "JF_ADB_CHAT_ID", "KABID_CHAT_ID"):
        assert f"{name}: is missing" in text


def test_malformed_values_are_named_and_the_token_is_not_echoed(tmp_path: Path) -> None:
    secret = "not-a-token-but-secret-xyz"
    with pytest.raises(SettingsError) as err:
        load_settings(_env(tmp_path, f"""
TELEGRAM_BOT_TOKEN={secret}
ADB_USER_IDS=12,abc
JF_ADB_CHAT_ID=group
KABID_CHAT_ID=-1002
NETMAINT_LANG=fr
NETMAINT_TZ=Mars/Olympus
"""))
    text = str(err.value)
    assert secret not in text
    for name in ("TELEGRAM_BOT_TOKEN", "ADB_USER_IDS", "JF_ADB_CHAT_ID", "NETMAINT_LANG",
                 "NETMAINT_TZ"):
        assert name in text
    assert "KABID_CHAT_ID" not in text
    assert err.value.__cause__ is None and err.value.__suppress_context__
