"""The test office: its people's and groups' ids, its checks, the bot's settings for it.

Every address in the checks is on loopback; the token and Bot API address are the
stand-in's (``tests/support/botapi_stub.py``) unless a test passes its own.
"""

from __future__ import annotations

from pathlib import Path

from bot.settings.environment import Settings

ADB_ID = 5001
ADB2_ID = 5002
USER_ID = 7001
OTHER_ID = 7002
JF_CHAT = -100200
KABID_CHAT = -100300

# The checks a test bot runs: loopback only, one quick echo, short timeouts.
FAST_CHECKS_TOML = """
[[targets]]
name = "gateway"
host = "127.0.0.1"

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = 0.5
"""
SITES_TOML = """
[[sites]]
name = "Kantor Dinas"

[[sites]]
name = "Kecamatan Koto XI Tarusan"
"""


def make_settings(
    db: Path,
    token: str = "123456789:TEST-token-for-the-local-stand-in",
    url: str = "http://127.0.0.1:9/bot",
) -> Settings:
    """The bot's settings for a test: the stand-in's token and URL, these ids, this database."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=token,
        telegram_api_base_url=url,
        adb_user_ids=(ADB_ID, ADB2_ID),
        adb_chat_id=None,
        jf_adb_chat_id=JF_CHAT,
        kabid_chat_id=KABID_CHAT,
        netmaint_db=db,
        netmaint_lang="id",
        netmaint_poll_timeout=1,
    )
