"""``netmaint doctor``'s Telegram checks: the token, each chat, each ADB, the clock.

Telegram is asked with plain HTTP calls rather than python-telegram-bot: doctor must
explain a refused token or a missing chat, not raise on it, and tell "Telegram said
no" apart from "Telegram did not answer" (``NoAnswer``): only the first is a finding
about the set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.cli.doctor_lines import DoctorLine, Level
from bot.render import render
from bot.settings.environment import Settings

TELEGRAM_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
CLOCK_WARN_S = 60.0  # the SOP's clock and Telegram's message dates disagree beyond this


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """The Bot API gave no verdict (no connection, a timeout, 5xx, 429, not JSON): what was
    asked is unknown, not refused, so it is said apart from "not a member" or "not found"."""

    cause: str  # "network", "timeout", "server", "busy" or "garbled": the words are the template's
    status: int | None = None

    def params(self) -> dict[str, Any]:
        return {"cause": self.cause, "status": self.status}


class BotApi:
    """The few Bot API calls doctor makes, answering (ok, result, description or NoAnswer, Date)."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._url = f"{settings.api_base_url}{settings.token}/"
        self._client = client

    async def call(self, method: str, **params: Any) -> tuple[bool, Any, datetime | None]:
        try:
            response = await self._client.post(self._url + method, json=params)
        except httpx.TimeoutException:
            return False, NoAnswer("timeout"), None
        except httpx.HTTPError:
            return False, NoAnswer("network"), None
        when = None
        if date := response.headers.get("date"):
            try:
                when = parsedate_to_datetime(date)
            except (TypeError, ValueError):
                when = None
        status = response.status_code
        if status >= 500 or status == 429:
            return False, NoAnswer("server" if status >= 500 else "busy", status), when
        try:
            body = response.json()
        except ValueError:
            return False, NoAnswer("garbled", status), when
        if isinstance(body, dict) and body.get("ok"):
            return True, body.get("result"), when
        description = body.get("description") if isinstance(body, dict) else None
        return False, str(description or f"HTTP {status}"), when


def _why(answer: Any) -> dict[str, Any]:
    """A failed call's parameters for its sentence: Telegram's words, or why there were none."""
    return answer.params() if isinstance(answer, NoAnswer) else {"why": answer}


def _chats(settings: Settings) -> list[tuple[str, int]]:
    chats = [("JF_ADB_CHAT_ID", settings.jf_adb_chat_id), ("KABID_CHAT_ID", settings.kabid_chat_id)]
    if settings.adb_chat_id is not None:
        chats.append(("ADB_CHAT_ID", settings.adb_chat_id))
    return chats


async def check_telegram(
    settings: Settings, lang: str, send_test: bool, client: httpx.AsyncClient
) -> list[DoctorLine]:
    """The token (getMe), each configured chat, each ADB, and the clock against Telegram's."""
    api = BotApi(settings, client)
    ok, me, when = await api.call("getMe")
    if not ok:
        if isinstance(me, NoAnswer):
            return [DoctorLine(Level.FAIL, "api_unreachable", me.params())]
        return [DoctorLine(Level.FAIL, "token_refused", {"why": me})]
    found = [DoctorLine(Level.OK, "token_ok", {"username": me.get("username", "?")})]
    bot_id = me.get("id")
    for name, chat_id in _chats(settings):
        found.append(await _check_chat(api, name, chat_id, bot_id, lang, send_test))
    for user_id in settings.adb_user_ids:
        ok, why, _ = await api.call("getChat", chat_id=user_id)
        if ok:
            found.append(DoctorLine(Level.OK, "adb_ok", {"id": user_id}))
        else:
            key = "adb_unchecked" if isinstance(why, NoAnswer) else "adb_not_started"
            found.append(DoctorLine(Level.FAIL, key, {"id": user_id, **_why(why)}))
        if ok and send_test and settings.adb_chat_id is None:
            found.extend(await _send_test(api, "ADB_USER_IDS", user_id, lang))
    if when is not None:
        skew = (datetime.now(UTC) - when).total_seconds()
        found.append(
            DoctorLine(Level.WARN, "clock_off", {"seconds": round(skew)})
            if abs(skew) > CLOCK_WARN_S
            else DoctorLine(Level.OK, "clock_ok", {})
        )
    return found


async def _check_chat(
    api: BotApi, name: str, chat_id: int, bot_id: int | None, lang: str, send_test: bool
) -> DoctorLine:
    """A configured group: it exists, the bot is in it and may post there."""
    params: dict[str, Any] = {"name": name, "id": chat_id, "title": ""}
    ok, chat, _ = await api.call("getChat", chat_id=chat_id)
    if not ok and isinstance(chat, NoAnswer):
        return DoctorLine(Level.FAIL, "chat_unchecked", {**params, **chat.params()})
    if not ok:
        # Telegram says "Forbidden: bot is not a member" for a group it left or was removed
        # from, and "chat not found" for an id it never knew (a typo, a group it never joined)
        key = "chat_not_member" if "forbidden" in str(chat).lower() else "chat_missing"
        return DoctorLine(Level.FAIL, key, {**params, "why": chat})
    params["title"] = chat.get("title") or chat.get("first_name") or ""
    ok, member, _ = await api.call("getChatMember", chat_id=chat_id, user_id=bot_id)
    if not ok and isinstance(member, NoAnswer):
        return DoctorLine(Level.FAIL, "chat_unchecked", {**params, **member.params()})
    if not ok:
        return DoctorLine(Level.FAIL, "chat_not_member", {**params, "why": member})
    status = member.get("status")
    if status in ("left", "kicked"):
        return DoctorLine(Level.FAIL, "chat_not_member", {**params, "why": status})
    may_post = True
    if status == "restricted":
        may_post = bool(member.get("can_send_messages"))
    elif status == "member":
        may_post = (chat.get("permissions") or {}).get("can_send_messages") is not False
    elif status == "administrator" and chat.get("type") == "channel":
        may_post = bool(member.get("can_post_messages"))
    if not may_post:
        return DoctorLine(Level.FAIL, "chat_cannot_post", params)
    if send_test:
        sent = await _send_test(api, name, chat_id, lang)
        if sent:
            return sent[0]
    return DoctorLine(Level.OK, "chat_ok", {**params, "tested": send_test})


async def _send_test(api: BotApi, name: str, chat_id: int, lang: str) -> list[DoctorLine]:
    ok, why, _ = await api.call(
        "sendMessage", chat_id=chat_id, text=render(lang, "doctor.txt.j2", key="test_message", p={})
    )
    return (
        []
        if ok
        else [DoctorLine(Level.FAIL, "test_failed", {"name": name, "id": chat_id, **_why(why)})]
    )
