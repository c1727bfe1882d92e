"""Which configured site a complaint is about: the one its text names.

Pure: the names come from the office's ``[[sites]]``; the handler decides what else
to try (the reporter's ``[[staff]] site``, their last choice) and when to ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


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
