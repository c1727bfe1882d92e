"""The bot's settings (environment or ``.env``) and the office's TOML file.

Read once at start into one ``Settings`` object; tests build it directly and
pass it in. A missing or malformed value stops start-up with a ``SettingsError``
naming the variable and what was expected, never echoing its value (the
token must not reach a terminal, a log or a bug report).

``OfficeConfig`` is the whole TOML file as the bot reads it: the checks'
sections (``checks.config.CheckConfig``) plus the sites, the vendors and the
bot's flood limits. The bot reads it strictly, so a misspelt key stops start-up
with a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from checks.config import Problem

# What each variable should look like, for error messages (never the value itself).
EXPECTED = {
    "TELEGRAM_BOT_TOKEN": "the token BotFather gave you, e.g. 123456789:AA...",
    "TELEGRAM_API_BASE_URL": "a URL such as https://api.telegram.org/bot",
    "ADB_USER_IDS": "comma-separated numeric Telegram user ids, e.g. 11111111,22222222",
    "ADB_CHAT_ID": "a numeric chat id (groups are negative, e.g. -1001234567890), or empty",
    "JF_ADB_CHAT_ID": "the numeric chat id of the JF ADB group, e.g. -1001234567890",
    "JF_ADB_USER_IDS": "empty, or comma-separated numeric Telegram user ids of the JF ADB, "
    "e.g. 33333333",
    "KABID_USER_IDS": "empty, or comma-separated numeric Telegram user ids of the Kabid, "
    "e.g. 44444444",
    "KABID_CHAT_ID": "the numeric chat id of the Kabid group, e.g. -1001234567891",
    "NETMAINT_DB": "a path to the SQLite file, e.g. data/netmaint.db",
    "NETMAINT_CONFIG": "a path to the TOML file, e.g. netmaint.toml",
    "NETMAINT_LANG": "id or en",
    "NETMAINT_TZ": "an IANA time zone such as Asia/Jakarta",
    "NETMAINT_POLL_TIMEOUT": "seconds to long-poll, 0-50",
    "NETMAINT_WEBHOOK_URL": "empty (long polling) or the public https:// URL Telegram calls",
    "NETMAINT_WEBHOOK_SECRET": "16-256 random letters, digits, _ or -",
    "NETMAINT_WEBHOOK_LISTEN": "host:port the webhook server listens on, e.g. 127.0.0.1:8080",
}


class SettingsError(Exception):
    """The environment cannot be used; the message names the variable and what to fix.

    ``problems`` holds the same per variable, for wording in the operator's language.
    """

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class AgendaSettings(BaseSettings):
    """What reading the agenda needs (``netmaint agenda``): no token, no chat ids."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    netmaint_db: Path = Path("data/netmaint.db")
    netmaint_lang: Literal["id", "en"] = "id"
    netmaint_tz: str = "Asia/Jakarta"
    netmaint_config: Path | None = None  # documents print [office], [signatory], [[staff]]

    @field_validator("netmaint_config", mode="before")
    @classmethod
    def _no_config(cls, v: Any) -> Any:
        """``NETMAINT_CONFIG=`` left empty in .env means the default file."""
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("netmaint_tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (is the tzdata package installed?)") from None
        return v

    @property
    def lang(self) -> str:
        return self.netmaint_lang

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.netmaint_tz)


class Settings(AgendaSettings):
    """Everything the bot reads from the environment (field name = variable name)."""

    telegram_bot_token: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    adb_user_ids: Annotated[tuple[int, ...], NoDecode]
    adb_chat_id: int | None = None
    jf_adb_chat_id: int
    kabid_chat_id: int
    # Roles by person (optional): when set, only these people act as the JF ADB / the Kabid;
    # when empty, anyone in that group does (the looser rule ``netmaint doctor`` warns about).
    jf_adb_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    kabid_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    netmaint_config: Path | None = None
    netmaint_poll_timeout: float = Field(default=30.0, ge=0, le=50)
    # Webhook mode (optional): Telegram calls this public HTTPS URL instead of being polled.
    netmaint_webhook_url: str | None = None
    netmaint_webhook_secret: SecretStr | None = None
    netmaint_webhook_listen: str = "127.0.0.1:8080"

    @field_validator(
        "netmaint_webhook_url",
        "netmaint_webhook_secret",
        "adb_chat_id",
        "netmaint_config",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        """An optional variable left empty in .env (``KEY=``) means "not set"."""
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("netmaint_webhook_url")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://"):
            raise ValueError("Telegram only calls https:// webhook URLs")
        return v

    @field_validator("netmaint_webhook_secret")
    @classmethod
    def _secret_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", v.get_secret_value()):
            raise ValueError("must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        return v

    @field_validator("netmaint_webhook_listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError("expected host:port, e.g. 127.0.0.1:8080")
        return v

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.netmaint_webhook_url and self.netmaint_webhook_secret is None:
            raise ValueError("NETMAINT_WEBHOOK_SECRET is required with NETMAINT_WEBHOOK_URL")
        return self

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr) -> SecretStr:
        value = v.get_secret_value().strip()
        head, sep, tail = value.partition(":")
        if not (sep and head.isdigit() and len(tail) >= 10):
            raise ValueError("does not look like a bot token")
        return SecretStr(value)

    @field_validator("telegram_api_base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    @field_validator("adb_user_ids", "jf_adb_user_ids", "kabid_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: Any) -> Any:
        if isinstance(v, str):
            parts = [p.strip() for p in v.split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("must be numbers separated by commas")
            return tuple(int(p) for p in parts)
        return v

    @field_validator("adb_user_ids")
    @classmethod
    def _not_empty(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v:
            raise ValueError("needs at least one ADB user id")
        return v

    # Short names used by the code.
    @property
    def token(self) -> str:
        return self.telegram_bot_token.get_secret_value()

    @property
    def api_base_url(self) -> str:
        return self.telegram_api_base_url

    @property
    def webhook_secret(self) -> str | None:
        s = self.netmaint_webhook_secret
        return s.get_secret_value() if s else None

    @property
    def adb_chats(self) -> tuple[int, ...]:
        """Where decision prompts go: the ADB group, else each ADB's private chat."""
        return (self.adb_chat_id,) if self.adb_chat_id is not None else self.adb_user_ids

    @property
    def group_chats(self) -> frozenset[int]:
        """The groups the bot is set up for (JF ADB, Kabid, the ADB group if any): in any
        other group it answers only ``/id``, so a stranger's group sees no complaint."""
        groups = {self.jf_adb_chat_id, self.kabid_chat_id}
        if self.adb_chat_id is not None:
            groups.add(self.adb_chat_id)
        return frozenset(groups)


def _problems(exc: ValidationError) -> tuple[Problem, ...]:
    found = []
    for err in exc.errors(include_input=False, include_url=False):
        # The one model-level rule is the webhook secret's; field errors carry their name.
        name = str(err["loc"][0]).upper() if err["loc"] else "NETMAINT_WEBHOOK_SECRET"
        # pydantic prefixes our own messages with "Value error, ": jargon to an operator.
        reason = (
            "is missing" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
        )
        found.append(Problem(name, str(err["type"]), reason))
    return tuple(found)


def _error(exc: ValidationError) -> SettingsError:
    problems = _problems(exc)
    lines = ["cannot start: fix these environment variables (or .env entries):"]
    lines += [
        f"  {p.key}: {p.detail}; expected {EXPECTED.get(p.key, 'a valid value')}" for p in problems
    ]
    return SettingsError("\n".join(lines), problems)


def load_settings(env_file: Path | str | None = ".env", **values: Any) -> Settings:
    """Read the settings from the environment and ``env_file``; raise ``SettingsError``."""
    try:
        return Settings(_env_file=env_file, **values)
    except ValidationError as exc:
        raise _error(exc) from None


def load_agenda_settings(env_file: Path | str | None = ".env") -> AgendaSettings:
    """The subset ``netmaint agenda`` needs; raise ``SettingsError``."""
    try:
        return AgendaSettings(_env_file=env_file)
    except ValidationError as exc:
        raise _error(exc) from None
