"""Keep secrets (the bot token, the webhook secret, agent tokens) out of every log line.

python-telegram-bot and httpx put the bot token in every request URL, and an
exception may carry that URL in its text. Redacting at the point a log record
is created covers every handler (ours, pytest's, a journal), including the
formatted traceback, which is cached on the record before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

# A Bot API token as it appears in URLs ("bot123456:AA...") or bare ("123456:AA...").
_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
MASK = "[REDACTED]"

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """``text`` with every known secret and anything shaped like a bot token masked."""
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return _BOT_TOKEN.sub(MASK, text)


def add_secrets(secrets: Iterable[str | None]) -> None:
    """Register secrets to mask (short values are ignored: they would mask ordinary text)."""
    _secrets.update(s for s in secrets if s and len(s) >= 8)


def install(secrets: Iterable[str | None] = ()) -> None:
    """Redact every log record created from now on; safe to call more than once."""
    global _installed
    add_secrets(secrets)
    if _installed:
        return
    _installed = True
    base_factory = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed %-format: keep the raw text, still redacted
            message = f"{record.msg} {record.args}"
        clean = redact(message)
        if clean != message:  # leave untouched records as they are (uvicorn reads args)
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    logging.setLogRecordFactory(factory)


# Loggers kept at WARNING even with -v: httpx and httpcore log request URLs (the bot token
# is in every Bot API URL) at INFO; aiosqlite logs every SQL statement with its parameters
# (complaint texts, raw updates, people's names) at DEBUG.
QUIET_LOGGERS = ("httpx", "httpcore", "aiosqlite")


def quiet_http_loggers() -> None:
    """Keep the loggers of ``QUIET_LOGGERS`` at WARNING, whatever the root level is."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
