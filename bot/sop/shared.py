"""One incident per broken part (issue 21): a break at a part shared by several sites' paths
(the VPN, the data center) is one outage, whichever site it was found from.

How complaints and monitored sites come to that one incident:

- Once a diagnosis (or monitoring) located the break, the incident stores the part's
  name (``incidents.part``). A complaint filed later at any site whose path crosses that
  part joins it at filing (``broken``), keeping its own number and site; so does a
  site monitoring sees down: it is "tidak terjangkau" and pages nobody.
- A complaint at site B filed before site A's diagnosis located the break opens its own
  incident, with its own diagnosis. When that diagnosis locates the same shared part,
  the incident is merged into the part's incident (``merge``: the table's ``Move.MERGE``
  and ``Move.JOIN``, as /gabung does), and B's diagnosis message says so instead of
  asking the ADB to decide: one prompt, the ADB told of the merge once.
- The part counts as broken while its incident is open, unless monitoring watches the
  part's check and has seen it come back at every site behind it since the incident
  opened (``recovered``). Then each site is judged on its own again: one still down
  opens its own incident.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.events import EventKind
from bot.domain.model import Actor, Move
from bot.sop.fault import Paths
from bot.storage import Incident, Tx
from bot.storage.db import Reads

if TYPE_CHECKING:
    from bot.sop.diagnosis import Diagnoses

Where = Reads | Tx


class SharedParts:
    """The office's shared parts and their open incidents."""

    def __init__(self, paths: Paths | None) -> None:
        self.paths = paths

    async def broken(self, at: Where, site: str | None) -> Incident | None:
        """The open incident of a broken shared part on ``site``'s path that monitoring
        has not seen recover: the site is behind it, "tidak terjangkau", and a complaint
        or a monitored outage there joins it (the nearest part's, then the oldest). A
        part on one site's path only is that site's own outage, which the usual
        same-site grouping joins."""
        if self.paths is None:
            return None
        paths, parts = self.paths, self.paths.parts(site)
        found = [i for i in await at.incidents.at_parts(parts) if paths.shared(i.part or "")]
        found.sort(key=lambda inc: (parts.index(inc.part or ""), inc.id))
        for inc in found:
            if not await self.recovered(at, inc):
                return inc
        return None

    async def recovered(self, at: Where, inc: Incident) -> bool:
        """Whether monitoring saw ``inc``'s part answer again at every site behind it, each
        watch having come up since the incident opened. Unwatched: not recovered (the
        ADB's decision closes it)."""
        if self.paths is None or inc.part is None:
            return False
        check, sites = self.paths.check(inc.part), self.paths.behind(inc.part)
        watches = [w for w in await at.monitor.all_watches() if w.name == check and w.site in sites]
        return bool(watches) and all(
            w.up and w.changed_at is not None and w.changed_at > inc.created_at for w in watches
        )

    def shared_break(self, site: str | None, part: str | None) -> str | None:
        """``part`` when it is a shared part on ``site``'s path, else None."""
        if self.paths is None or part is None or part not in self.paths.parts(site):
            return None
        return part if self.paths.shared(part) else None


async def merge(
    tx: Tx, diagnoses: Diagnoses, src: Incident, into: Incident, by: Actor | None
) -> None:
    """Move every complaint of ``src`` into ``into`` (the same outage): ``src`` is marked
    merged and its diagnosis message says where the decision is; ``into``'s shows them.
    The caller checked both are open and ``src`` undecided."""
    moved = await tx.incidents.complaints(src.id)
    await tx.incidents.merge(src.id, into.id)  # the complaints first: they move apart
    await diagnoses.transitions.apply(tx, src, Move.MERGE, by=by, event=EventKind.MERGED)
    count = await tx.incidents.count(into.id)
    for c in moved:
        # A complaint filed without a site takes the incident's, so /lacak, the agenda
        # and the recap list it there; one with its own site keeps it.
        took = into.site is not None and await tx.complaints.take_site(c.id, into.site)
        await diagnoses.transitions.apply(
            tx,
            into,
            Move.JOIN,
            complaint=c,
            by=by,
            event=EventKind.MERGED,
            incident=into.id,
            count=count,
            from_incident=src.id,
            **({"site": into.site} if took else {}),
        )
    await diagnoses.show_outcome(tx, src, merged_into=into.id)
    await diagnoses.refresh(tx, into.id)
