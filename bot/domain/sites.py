"""Which configured site a complaint is about: named in its text, and the site buttons' key.

Pure: the names come from the office's ``[[sites]]``; the handler decides what else
to try (the reporter's ``[[staff]] site``, their last choice) and when to ask.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable


def fold(name: str) -> str:
    """A name as people may write it: any case, any run of spaces (as ``unique_names`` compares)."""
    return " ".join(name.split()).casefold()


def site_key(name: str) -> int:
    """A site button's stable key: derived from the name, not its place in the config.

    A reordered ``[[sites]]`` list (or one with a site added) keeps every key, so a
    question asked before a restart never records the wrong site; 32 bits of a hash fit
    the callback data and make two names of one office sharing a key unthinkable.
    """
    return int.from_bytes(hashlib.sha256(fold(name).encode()).digest()[:4], "big")


def by_key(names: Iterable[str], key: int) -> str | None:
    """The configured site whose key is ``key``; None for a stale or forged one."""
    found = [n for n in names if site_key(n) == key]
    return found[0] if len(found) == 1 else None


def _pattern(name: str) -> re.Pattern[str]:
    """``name`` as whole words, any case, any spaces between them ("kecamatan  cibinong")."""
    words = r"\s+".join(re.escape(w) for w in name.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def named_site(text: str, names: Iterable[str]) -> str | None:
    """The one configured site ``text`` names, as whole words in any case, or None.

    The longest name wins where names overlap ("Kantor Dinas Cabang" over "Kantor
    Dinas"); a text naming two different sites names none, so the reporter is asked.
    """
    spans: list[tuple[int, int, str]] = []
    for name in names:
        spans += [(m.start(), m.end(), name) for m in _pattern(name).finditer(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    chosen: set[str] = set()
    end = -1
    for start, stop, name in spans:
        if start >= end:  # not inside a longer name found at or before this point
            chosen.add(name)
            end = stop
    return chosen.pop() if len(chosen) == 1 else None
