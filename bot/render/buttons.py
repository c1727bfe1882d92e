"""Inline-button callback data: ``"<prefix> <id> <action>"``, at most 64 bytes.

Any client can forge callback data, so this is the one place that reads it,
and it only tells what was *asked*: handlers still check on the server who
pressed and whether the complaint is in the state the button belongs to.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

MAX_BYTES = 64  # Telegram's limit
KEY_CHARS = 8  # a ``key``: 32 bits of a hash, in the action's alphabet
T = TypeVar("T")

# prefix -> the actions it may carry (None = any short token, e.g. a ``key``)
PREFIXES: dict[str, frozenset[str] | None] = {
    # id = the incident
    "dec": frozenset({"ya", "no", "re"}),  # decision (step 7): Ya / Tidak / Cek ulang
    "jf": frozenset({"fix", "ven"}),  # JF ADB report: Sudah diperbaiki / Hubungi pihak ketiga
    "ven": None,  # a vendor chosen: action = its stable key (``key``), not its position
    "lap": None,  # /lapor, /catat dialog: id 0, action = a site's ``key`` | other | cancel
    "kel": frozenset({"masih"}),  # a reporter's complaint: the network is still down
    "rec": frozenset({"ya", "no"}),  # id = the incident; after Ya: recovery database done / not
}
# ASCII: without it \d also matches other scripts' digits ("dec ١ ya" would read as 1).
# No leading zeros: each button has exactly one spelling ("dec 01 ya" is not "dec 1 ya").
_PATTERN = re.compile(r"([a-z]{2,4}) (0|[1-9]\d{0,11}) ([a-z0-9]{1,8})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Callback:
    """Parsed, syntactically valid callback data (still untrusted)."""

    prefix: str
    id: int
    action: str

    def encode(self) -> str:
        return make(self.prefix, self.id, self.action)


def make(prefix: str, item_id: int, action: str) -> str:
    """Build callback data; refuses anything ``parse`` would not read back."""
    data = f"{prefix} {item_id} {action}"
    if parse(data) is None:
        raise ValueError(f"invalid callback data {data!r}")
    return data


def parse(data: object) -> Callback | None:
    """The callback, or None for anything malformed, unknown or too long."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    m = _PATTERN.fullmatch(data)
    if m is None or m.group(1) not in PREFIXES:
        return None
    prefix, item_id, action = m.group(1), int(m.group(2)), m.group(3)
    allowed = PREFIXES[prefix]
    if allowed is not None and action not in allowed:
        return None
    return Callback(prefix, item_id, action)


def key(name: str) -> str:
    """A stable button key for a configured item (a vendor, a site), from its name.

    A position in the config changes when someone reorders it, and a press on an
    older message would then record a different item; a name does not fit the
    action's 8 characters. So: the first 8 hex digits of the SHA-256 of the
    name (Unicode-normalised; case and extra spaces ignored). A renamed item
    gets a new key: its old buttons are then stale, never someone else's. Always
    8 characters, so it never reads as an old index ("0", "12")."""
    norm = unicodedata.normalize("NFC", " ".join(name.split())).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:KEY_CHARS]


def find(items: Iterable[T], wanted: str, name: Callable[[T], str]) -> T | None:
    """The item whose ``key`` is ``wanted`` (the first, if two names normalise alike)."""
    return next((item for item in items if key(name(item)) == wanted), None)
