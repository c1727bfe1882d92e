"""Keep every message inside Telegram's 4096 characters without breaking its HTML.

Templates keep each HTML tag within one line, so splitting between lines
never cuts a tag in two. A single line too long for a message (only user
text can be) is cut as plain text with an ellipsis.
"""

from __future__ import annotations

import html
import re

LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")


def excerpt(text: str, limit: int) -> tuple[str, bool]:
    """At most ``limit`` characters of user text, and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    return text[:limit].rstrip() + "…", True


def _cut_line(line: str, limit: int) -> str:
    plain = html.unescape(_TAG.sub("", line))
    keep = limit - 1
    while keep > 0:
        out = html.escape(plain[:keep], quote=False) + "…"
        if len(out) <= limit:
            return out
        keep -= max(1, (len(out) - limit))
    return "…"


def fit(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` as one or more messages of at most ``limit`` characters, split at lines."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:
            line = _cut_line(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = line
    if current:
        parts.append(current)
    return parts
