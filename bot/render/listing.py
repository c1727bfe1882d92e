"""An incident's #K tags split between its prompt and as few continuation messages as fit.

Every tag must be searchable in the ADB chat, but a thousand of them do not fit one
Telegram message. The prompt keeps a fixed share of characters for tags, the same
whatever the checks found, so a finished step never moves a tag from the prompt to a
continuation; the rest are packed in order into continuation messages. Complaints
join at the end, so a join changes only the last continuation (or starts one).
"""

from __future__ import annotations

from collections.abc import Sequence

PROMPT_SHARE = 2500  # characters of tags in the prompt; the steps and question need the rest


def in_prompt(tags: Sequence[str], share: int = PROMPT_SHARE) -> int:
    """How many of ``tags`` (space-separated) the prompt lists: all, or those within ``share``."""
    used = -1
    for i, tag in enumerate(tags):
        used += len(tag) + 1
        if used > share:
            return i
    return len(tags)


def pack(tags: Sequence[str], room: int) -> list[list[str]]:
    """``tags`` in order, in as few groups as keep each space-joined group within ``room``."""
    pages: list[list[str]] = []
    used = 0
    for tag in tags:
        if pages and used + 1 + len(tag) <= room:
            pages[-1].append(tag)
            used += 1 + len(tag)
        else:
            pages.append([tag])
            used = len(tag)
    return pages
