"""Where on the path to SIAK the fault is: the first part that does not answer.

Every office reaches SIAK in the Kemendagri data center over a path of parts (the
office LAN, an ISP line, a VPN, the data center); who repairs a fault depends on
which part broke. Walking the site's path from the nearest part out, the break is
the first part that does not answer while every part before it does. Pure: the
answers come from the checks (each part's ``check`` target or service).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.settings.office import Link


@dataclass(frozen=True, slots=True)
class Break:
    """What the walk found.

    ``part``: the first part that does not answer (None: none of them, or before them);
    ``before_first``: the site's own server cannot reach its network at all (its
    address settings or link failed), so no part could be asked; ``unknown``: a part's
    check could not run (no ICMP, an agent not answering), so the walk stopped there
    without blaming it.
    """

    part: Link | None = None
    before_first: bool = False
    unknown: Link | None = None

    @property
    def found(self) -> bool:
        return self.part is not None or self.before_first

    @property
    def outside_office(self) -> bool:
        """The data center's fault: no vendor of the office's can repair it."""
        return self.part is not None and self.part.kind == "pusat"


def locate(path: Sequence[Link], answers: Mapping[str, bool | None], *, local_ok: bool) -> Break:
    """The break on ``path`` (nearest first), given each check name's answer (True up,
    False down, None or missing: could not be checked) and whether the site's own
    server has a working network configuration (``local_ok``)."""
    if not local_ok:
        return Break(before_first=True)
    for link in path:
        answer = answers.get(link.check)
        if answer is None:
            return Break(unknown=link)
        if not answer:
            return Break(part=link)
    return Break()
