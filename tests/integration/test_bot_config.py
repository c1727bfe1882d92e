"""Bot settings: every variable named when missing or malformed, the token never echoed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings.environment import EXPECTED, SettingsError, load_settings

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret"
NAMES = tuple(EXPECTED)  # every variable the bot reads


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
    s = load_settings(
        _env(
            tmp_path,
            f"""
TELEGRAM_BOT_TOKEN={TOKEN}
ADB_USER_IDS=111, 222
ADB_CHAT_ID=
JF_ADB_CHAT_ID=-1001
KABID_CHAT_ID=-1002
NETMAINT_LANG=en
""",
        )
    )
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
        load_settings(
            _env(
                tmp_path,
                f"""
TELEGRAM_BOT_TOKEN={secret}
ADB_USER_IDS=12,abc
JF_ADB_CHAT_ID=group
KABID_CHAT_ID=-1002
NETMAINT_LANG=fr
NETMAINT_TZ=Mars/Olympus
""",
            )
        )
    text = str(err.value)
    assert secret not in text
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "ADB_USER_IDS",
        "JF_ADB_CHAT_ID",
        "NETMAINT_LANG",
        "NETMAINT_TZ",
    ):
        assert name in text
    assert "KABID_CHAT_ID" not in text
    assert "Value error" not in text, "pydantic's prefix means nothing to an operator"
    assert err.value.__cause__ is None and err.value.__suppress_context__


def _netmaint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in NAMES}
    return subprocess.run(
        [sys.executable, "-m", "bot", "bot"],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_netmaint_bot_without_settings_names_them_without_a_traceback(tmp_path: Path) -> None:
    """In the office's language: the variable, what is wrong, and what it should hold."""
    proc = _netmaint(tmp_path, ADB_USER_IDS="1,dua")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("netmaint tidak dapat mulai: perbaiki variabel berikut")
    lines = proc.stderr.splitlines()
    token = next(line for line in lines if line.strip().startswith("TELEGRAM_BOT_TOKEN:"))
    assert "belum diisi" in token and "token dari BotFather" in token
    ids = next(line for line in lines if line.strip().startswith("ADB_USER_IDS:"))
    assert "ID Telegram para ADB dipisah koma" in ids and "dua" not in ids
    english = _netmaint(tmp_path, ADB_USER_IDS="1", NETMAINT_LANG="en")
    assert "TELEGRAM_BOT_TOKEN: is missing; expected the token BotFather" in english.stderr


def test_netmaint_bot_with_a_broken_toml_names_the_key_in_indonesian(tmp_path: Path) -> None:
    (tmp_path / "n.toml").write_text('[[services]]\nname = "x"\nhost = "127.0.0.1"\nport = "abc"\n')
    proc = _netmaint(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        ADB_USER_IDS="1",
        JF_ADB_CHAT_ID="-1",
        KABID_CHAT_ID="-2",
        NETMAINT_CONFIG="n.toml",
        NETMAINT_DB=str(tmp_path / "n.db"),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "perbaiki n.toml" in proc.stderr
    assert "services[0].port: harus bilangan bulat" in proc.stderr


def test_netmaint_bot_that_cannot_reach_telegram_keeps_running_and_says_so(
    tmp_path: Path,
) -> None:
    """A boot during an outage: the bot stays up (monitoring and the SOP clock go on),
    says why in its log without the token, and stops cleanly on SIGTERM."""
    clean = {k: v for k, v in os.environ.items() if k not in NAMES}
    env = {
        **clean,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ADB_USER_IDS": "1",
        "JF_ADB_CHAT_ID": "-1",
        "KABID_CHAT_ID": "-2",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "NETMAINT_DB": str(tmp_path / "n.db"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "bot"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            rows = (
                sqlite3.connect(tmp_path / "n.db")
                .execute("SELECT COUNT(*) FROM sqlite_master WHERE name='runtime_status'")
                .fetchone()
                if (tmp_path / "n.db").exists()
                else (0,)
            )
            if rows[0]:
                break
            time.sleep(0.2)
        time.sleep(2.0)  # a try or two
        assert proc.poll() is None, "still running while Telegram is unreachable"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "cannot reach the Bot API at TELEGRAM_API_BASE_URL" in err and "Traceback" not in err
    assert TOKEN not in err + out and TOKEN.split(":")[1] not in err + out


def test_the_example_env_file_is_complete_and_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    text = example.read_text(encoding="utf-8")
    for name in NAMES:
        assert name in text, f"{name} is not documented in .env.example"
    # Copied unedited, it stops at the token with what to do; with a token filled in, it loads.
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN: does not look like a bot token"):
        load_settings(example)
    filled = tmp_path / ".env"
    filled.write_text(text.replace("paste-the-token-from-BotFather-here", TOKEN), encoding="utf-8")
    s = load_settings(filled)
    assert s.netmaint_webhook_url is None and s.adb_chat_id is None


def test_a_webhook_needs_https_and_a_secret(tmp_path: Path) -> None:
    base = f"TELEGRAM_BOT_TOKEN={TOKEN}\nADB_USER_IDS=1\nJF_ADB_CHAT_ID=-1\nKABID_CHAT_ID=-2\n"
    with pytest.raises(SettingsError, match="NETMAINT_WEBHOOK_SECRET"):
        load_settings(_env(tmp_path, base + "NETMAINT_WEBHOOK_URL=https://bot.example/hook\n"))
    with pytest.raises(SettingsError, match=r"NETMAINT_WEBHOOK_URL: .*https"):
        load_settings(
            _env(
                tmp_path,
                base + "NETMAINT_WEBHOOK_URL=http://bot.example/hook\n"
                "NETMAINT_WEBHOOK_SECRET=" + "a" * 32 + "\n",
            )
        )
