"""Inline-button callback data: ``"<prefix> <id> <action>"``, at most 64 bytes.

Any client can forge callback data, so this is the one place that reads it,
and it only tells what was *asked*: handlers still check on the server who
pressed and whether the complaint is in the state the button belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit

# prefix -> the actions it may carry ("" = any short token, e.g. an index)
PREFIXES: dict[str, frozenset[str] | None] = {
    # id = the incident
    "dec": frozenset({"ya", "no", "re"}),  # decision (step 7): Ya / Tidak / Cek ulang
    "jf": frozenset({"fix", "ven"}),  # JF ADB report: Sudah diperbaiki / Hubungi pihak ketiga
    "ven": None,  # a vendor chosen: action = its index in [[vendors]]
    "lap": None,  # /lapor dialog: id = the site's key (or 0), action = pick | other | cancel
    "kel": frozenset({"masih"}),  # a reporter's complaint: the network is still down
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
