"""One help answer per group a minute: a group's flood of /bantuan is collapsed.

The per-user flood guard (``handlers/guard.py``) cuts one member's flood, not two
hundred members each asking once: every /bantuan in a group was answered, and at
Telegram's 20 messages a minute in a group those answers queued for ten minutes.
The answer to /bantuan, /help and /start in a group is the same text for everyone
there, and it is still on screen a minute later, so a group gets at most one
``REPEAT_S``; the others are ignored and counted in one ``audit`` row (outcome
``repeat``) per collapsed burst, like a flood. Private chats are not collapsed:
there the answer depends on who asks and nobody else sees it.

Counted in monotonic seconds (``ticks``), like the flood guard, so a wall clock set
back does not keep a group silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

REPEAT = "repeat"  # audit outcome
REPEAT_S = 60.0
# The commands collapsed, each to the answer it shares (/help is /bantuan).
COLLAPSED = {"/bantuan": "/bantuan", "/help": "/bantuan", "/start": "/start"}
FORGET_AT = 1_000  # groups remembered before the quiet ones are dropped


def command_of(text: str) -> str:
    """``"/bantuan@netmaint_bot extra"`` -> ``"/bantuan"``: the command word alone."""
    word = text.split(maxsplit=1)[0] if text.strip() else ""
    return word.split("@", 1)[0].lower()


@dataclass
class Burst:
    """A group's last answered help, and the repeats ignored since."""

    answered_at: float  # monotonic seconds
    began: int | None = None  # the first ignored update (its audit row)
    ignored: int = 0


class Repeats:
    """Which help requests in groups are answered, per group and command."""

    def __init__(self, ticks: Callable[[], float]) -> None:
        self.ticks = ticks
        self.groups: dict[tuple[int, str], Burst] = {}

    def seen(self, chat_id: int, command: str, update_id: int) -> Burst | None:
        """None: answer it (and start a new minute); else the burst it is ignored in."""
        now = self.ticks()
        if len(self.groups) > FORGET_AT:
            old = [k for k, b in self.groups.items() if now - b.answered_at >= REPEAT_S]
            for key in old:
                del self.groups[key]
        key = (chat_id, command)
        burst = self.groups.get(key)
        if burst is None or now - burst.answered_at >= REPEAT_S:
            self.groups[key] = Burst(answered_at=now)
            return None
        if burst.began is None:
            burst.began = update_id
        burst.ignored += 1
        return burst
