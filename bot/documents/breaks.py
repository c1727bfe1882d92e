"""Where a word in a narrow table cell may break: at its syllables, with a hyphen shown.

The PDF engine breaks lines only where the text allows it. Indonesian hyphenation
patterns (pyphen's ``id_ID``, the TeX patterns) mark the syllables with soft hyphens
(U+00AD: invisible unless the line breaks there, then shown as "-"), so "Pemeriksaan"
breaks as "Pemerik-saan", never as "Pemerik saan". A code such as "CVPT-2026-1187" may
break after its own hyphens. A run that still has no break point (a pasted token, a
4,000-character "word") gets a soft hyphen every ``CHUNK`` characters before layout, so
it wraps in any column and cannot blow up the layout time.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

SHY = "\u00ad"  # soft hyphen
ZWSP = "\u200b"  # zero-width space: a break point that prints nothing
CHUNK = 8  # characters between forced break points: fits a narrow column at 7 pt
LONGEST = 12  # a run up to this long (a date, "01/01/2026") is never broken
SHORT = 5  # words this short are never hyphenated
_TOKEN = re.compile(r"\S+")
_LETTERS = re.compile(rf"[^\W\d_]{{{SHORT + 1},}}")
PATTERNS = {"id": "id_ID", "en": "en_US"}


@cache
def _dictionary(lang: str) -> Any:
    import pyphen  # its patterns take 0.3 s to read: only when a PDF is made

    return pyphen.Pyphen(lang=PATTERNS.get(lang, "id_ID"))


@lru_cache(maxsize=8192)  # bounded: the words come from what reporters type
def _syllables(word: str, lang: str) -> str:
    return str(_dictionary(lang).inserted(word, hyphen=SHY))


def breakable(text: str, lang: str) -> str:
    """``text`` with soft hyphens at syllables and forced ones in long unbroken runs."""
    return _TOKEN.sub(lambda m: _token(m[0], lang), text)


def _token(token: str, lang: str) -> str:
    if len(token) <= SHORT:
        return token
    token = _LETTERS.sub(lambda m: _syllables(m[0], lang), token)
    token = re.sub(r"(-(?=\w)|/(?=[^\W\d]))", "\\1" + ZWSP, token)  # after a code's hyphen
    return _force(token)


def _force(token: str) -> str:
    """A soft hyphen every ``CHUNK`` characters in the runs that have no break point."""
    parts = re.split(f"([{SHY}{ZWSP}])", token)
    return "".join(
        p if len(p) <= LONGEST else SHY.join(p[i : i + CHUNK] for i in range(0, len(p), CHUNK))
        for p in parts
    )


def plain(text: str) -> str:
    """``text`` without the break points (tests, and what a reader copies)."""
    return text.replace(SHY, "").replace(ZWSP, "")
