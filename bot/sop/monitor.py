"""Monitoring (early warning) and planned maintenance: the office hears of an outage from
the bot before anyone calls, and planned work pages nobody.

``[monitor]`` names targets and services; every ``interval_seconds`` each site's are
checked where that site's checks run (in process, or on its agent). ``advance`` is the
whole up/down rule, pure: down after ``down_after`` failures in a row, up again after
``up_after`` good checks, so a link that alternates never changes state at all. A site
is down while any watched thing is. Going down files the bot's own complaint
(``Workflow.file_monitored``): the usual incident, diagnosis and ADB prompt, and the SOP
clock runs for it as for any. Coming back is said once, to the ADB chats and to the
reporters of open complaints (who still get the ADB's decision: the SOP's step 7 is the
ADB's, not the monitor's). Every count and state is stored, never only held in memory,
so a restart while a site is down opens no second incident.

Checks run beside the bot, never in a handler: at most ``concurrency`` sites at once,
each within ``timeout_seconds`` (a hung agent makes its own site down, no other).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from bot.agents import AgentLookup
from bot.delivery.queue import MessageQueue
from bot.domain import model
from bot.domain.clock import Clock
from bot.domain.model import Command
from bot.domain.outcomes import Outcome, Refused
from bot.render.views import Views
from bot.settings.office import Monitor as MonitorConfig
from bot.settings.office import OfficeConfig
from bot.sop.allclear import all_clear
from bot.sop.transition import Press, writing
from bot.sop.workflow import Workflow
from bot.storage import Database, Tx
from bot.storage.monitor import SiteRow, WatchRow, Window
from checks.agent.api import Names
from checks.models import Report, Status
from checks.steps import PING, SERVICES, SOFTWARE

log = logging.getLogger(__name__)

TARGET, SERVICE = "target", "service"
Key = tuple[str, str]  # (kind, name)
# What one look at a site saw: True up, False down, None unknown (the check could not run).
Seen = dict[Key, bool | None]
Probe = Callable[[str | None], Awaitable[Seen]]
MAX_WINDOW = timedelta(days=7)


# --- the rule, pure --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    """One watched thing: believed up or down, and the run of checks that agree."""

    up: bool = True
    fails: int = 0
    goods: int = 0


def advance(c: Count, ok: bool | None, down_after: int, up_after: int) -> Count:
    """The next state after one check (``None``: unknown, changes nothing). Runs are capped
    at their threshold: a week of good checks is stored as ``up_after``, not a big number."""
    if ok is None:
        return c
    if ok:
        goods = min(c.goods + 1, up_after)
        return Count(up=c.up or goods >= up_after, fails=0, goods=goods)
    fails = min(c.fails + 1, down_after)
    return Count(up=c.up and fails < down_after, fails=fails, goods=0)


def read_report(
    report: Report, targets: Collection[str], services: Collection[str], software: Collection[str]
) -> Seen:
    """Which watched names a report shows up or down.

    A name is down when its step has a failing finding about it; every name of a step is
    down when the step failed because its agent could not be asked (``agent.*``), and
    unknown when the step could not run here (no ICMP) or is missing from the report.
    """
    by_step = {r.step: r for r in report.results}
    seen: Seen = {}
    wanted = [(TARGET, n, PING) for n in targets] + [
        (SERVICE, n, SOFTWARE if n in software else SERVICES) for n in services
    ]
    for kind, name, step in wanted:
        r = by_step.get(step)
        if r is None or r.status in (Status.UNAVAILABLE, Status.ERROR):
            seen[kind, name] = None
        elif any(f.code.startswith("agent.") for f in r.findings):
            seen[kind, name] = False
        else:
            seen[kind, name] = not any(
                f.subject == name and f.severity == Status.FAIL for f in r.findings
            )
    return seen


# --- where the checks run --------------------------------------------------------------------


@runtime_checkable
class Watcher(Protocol):
    """An agent that can look at only some targets and services (``bot.agents``)."""

    async def watch(
        self, steps: Collection[int], targets: Collection[str], services: Collection[str]
    ) -> Report: ...


@runtime_checkable
class NameLister(Protocol):
    """An agent that says which targets and services it checks (``bot.agents``)."""

    async def names(self) -> Names | None: ...


def watched_names(
    config: OfficeConfig, m: MonitorConfig, site: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The targets and services watched at ``site``: its own lists, else ``[monitor]``'s."""
    s = next((x for x in config.sites if x.name == site), None)
    targets = s.monitor_targets if s is not None and s.monitor_targets is not None else m.targets
    services = (
        s.monitor_services if s is not None and s.monitor_services is not None else m.services
    )
    return targets, services


def unserved(
    names: Names, targets: Collection[str], services: Collection[str]
) -> tuple[list[str], list[str]]:
    """Watched names the site's agent does not have: asking for them watches nothing."""
    return (
        [t for t in targets if t not in names.targets],
        [s for s in services if s not in names.services],
    )


def agent_probe(agent_for: AgentLookup, config: OfficeConfig, m: MonitorConfig) -> Probe:
    """Look at a site's watched things through its agent (the one that diagnoses it).

    Each site watches only names its agent has: once the agent has said which (``names``),
    a name it lacks is logged with the fix and left out, instead of failing every look
    (an agent refuses a request for a target it does not know).
    """
    software_names = {s.name for s in config.services if s.software}
    served: dict[str | None, Names] = {}

    async def probe(site: str | None) -> Seen:
        agent = agent_for(site)
        targets, services = watched_names(config, m, site)
        if site not in served and isinstance(agent, NameLister):
            names = await agent.names()
            if names is not None:
                served[site] = names
                missing_t, missing_s = unserved(names, targets, services)
                if missing_t or missing_s:
                    log.error(
                        "monitoring: the agent of %s has no %s; they are not watched there."
                        " Add them to that agent's netmaint.toml, or list what the site"
                        " watches with monitor_targets / monitor_services in its [[sites]]",
                        site or "the office",
                        ", ".join(
                            [f"target {t!r}" for t in missing_t]
                            + [f"service {s!r}" for s in missing_s]
                        ),
                    )
        if site in served:
            targets = tuple(t for t in targets if t in served[site].targets)
            services = tuple(s for s in services if s in served[site].services)
        software = {s for s in services if s in software_names}
        steps = [
            step
            for step, needed in (
                (SOFTWARE, software),
                (PING, targets),
                (SERVICES, set(services) - software),
            )
            if needed
        ]
        if not steps:
            return {}
        if isinstance(agent, Watcher):
            report = await agent.watch(steps, targets, services)
        else:  # an agent that only diagnoses: the whole steps, read for our names
            report = await agent.diagnose(steps)
        return read_report(report, targets, services, software)

    return probe


# --- the loop --------------------------------------------------------------------------------


class MonitorLoop:
    """Looks at every site each interval and acts on what changed; ``run`` until stopped."""

    def __init__(
        self,
        db: Database,
        workflow: Workflow,
        queue: MessageQueue,
        config: MonitorConfig,
        sites: list[str | None],
        probe: Probe,
        clock: Clock,
    ) -> None:
        self.db = db
        self.workflow = workflow
        self.queue = queue
        self.views: Views = queue.views
        self.config = config
        self.sites = sites
        self.probe = probe
        self.clock = clock
        self.keys = [(TARGET, n) for n in config.targets] + [(SERVICE, n) for n in config.services]
        # What each site's last look covered (its agent may lack some of ``keys``).
        self._watched: dict[str | None, list[Key]] = {}
        self._slots = asyncio.Semaphore(config.concurrency)
        self.shared = workflow.diagnoses.shared

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``interval_seconds`` until ``stop``; a failed tick is logged, and the
        next one tries again (what it missed, it sees then)."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            started = loop.time()
            try:
                await self.tick()
            except Exception:
                log.exception("monitoring failed; trying again next interval")
            wait = max(0.0, self.config.interval_seconds - (loop.time() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def tick(self) -> None:
        """Look at every site once (``concurrency`` at a time) and act on each."""
        seen = await asyncio.gather(*(self._look(site) for site in self.sites))
        for site, s in zip(self.sites, seen, strict=True):
            await self.apply(site, s)

    async def _look(self, site: str | None) -> Seen:
        async with self._slots:
            try:
                seen = await asyncio.wait_for(self.probe(site), self.config.timeout_seconds)
                self._watched[site] = list(seen)
                return seen
            except TimeoutError:
                log.warning(
                    "monitoring: the checks of %s took over %.0f s; counted as down",
                    site or "the office",
                    self.config.timeout_seconds,
                )
                return dict.fromkeys(self._watched.get(site, self.keys), False)
            except Exception:  # a bug, not an outage: nothing is known this time
                log.exception("monitoring: checking %s failed", site or "the office")
                return dict.fromkeys(self._watched.get(site, self.keys), None)

    async def apply(self, site: str | None, seen: Seen) -> None:
        """Store what one look saw, then open the outage or say it is over. A site behind
        a broken shared part (``SharedParts``) opens nothing and pages nobody; once the
        part answers again at every site behind it, its outage hears the all-clear, and
        a site still down is judged on its own."""
        key, c = site or "", self.config
        async with self.db.write() as tx:
            watched = list(seen)
            await tx.monitor.drop_watches(key, watched)
            old = {(w.kind, w.name): w for w in await tx.monitor.watches(key)}
            down: list[str] = []
            state: dict[str, bool | None] = {}
            for kind, name in watched:
                w = old.get((kind, name)) or WatchRow(key, kind, name, 1, 0, 0, None, None)
                nxt = advance(
                    Count(bool(w.up), w.fails, w.goods),
                    seen.get((kind, name)),
                    c.down_after,
                    c.up_after,
                )
                changed = tx.now if nxt.up != bool(w.up) else w.changed_at
                await tx.monitor.put_watch(
                    replace(
                        w,
                        up=int(nxt.up),
                        fails=nxt.fails,
                        goods=nxt.goods,
                        checked_at=tx.now,
                        changed_at=changed,
                    )
                )
                state[name] = nxt.up
                if not nxt.up:
                    down.append(name)
            s = await tx.monitor.site(key) or SiteRow(key, 0, None, None, None)
            if bool(s.down) != bool(down):
                s = replace(s, down=int(bool(down)), changed_at=tx.now)
                await tx.monitor.put_site(s)
                log.info(
                    "monitoring: %s is %s",
                    site or "the office",
                    "down: " + ", ".join(down) if down else "up again",
                )
            quiet = await tx.monitor.window(key, tx.now) is not None
            said = await self._parts_back(tx, site)
            recovered = (
                not down and not quiet and s.incident_id is not None and s.recovered_at is None
            )
            if recovered:
                await tx.monitor.put_site(replace(s, recovered_at=tx.now))
                inc = await tx.incidents.get(s.incident_id) if s.incident_id else None
                said = await all_clear(tx, self.queue, inc, s.changed_at) or said
            behind = await self.shared.broken(tx, site) if down else None
        if said:
            self.queue.wake()
        reported = s.incident_id is not None and s.recovered_at is None
        if down and not quiet and behind is None and not reported:
            # Down, and no outage reported since it was last up (or maintenance just
            # ended): report it. ``file_monitored`` re-checks it all in its transaction.
            text = self.views.plain("monitor", "complaint", names=down, site=site)
            await self.workflow.file_monitored(site, text, self._located(site, state))

    def _located(self, site: str | None, state: dict[str, bool | None]) -> str | None:
        """The part of ``site``'s path where what monitoring watches locates the break."""
        paths = self.shared.paths
        found = paths.locate_answers(site, state) if paths else None
        return found.part.name if found is not None and found.part is not None else None

    async def _parts_back(self, tx: Tx, site: str | None) -> bool:
        """The all-clear of each open part's incident on ``site``'s path whose part
        answers again at every site behind it (said once: ``all_clear``)."""
        paths, said = self.shared.paths, False
        for inc in await tx.incidents.at_parts(paths.parts(site) if paths else ()):
            if await self.shared.recovered(tx, inc):
                said = await all_clear(tx, self.queue, inc, inc.created_at) or said
        return said


# --- planned maintenance and /status ---------------------------------------------------------

_DURATION = re.compile(r"(\d{1,4})\s*(j|jam|h|m|mnt|menit|min)", re.IGNORECASE)
_WHOLE_DURATION = re.compile(r"^(?:\d{1,4}\s*(?:jam|j|h|menit|mnt|min|m)\s*)+$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta | None:
    """``2j``, ``1h``, ``30m``, ``1j30m``, ``90menit``: hours (jam/h) and minutes."""
    t = text.strip()
    if not _WHOLE_DURATION.match(t):
        return None
    total = timedelta()
    for n, unit in _DURATION.findall(t):
        hours = unit.lower() in ("j", "jam", "h")
        total += timedelta(hours=int(n)) if hours else timedelta(minutes=int(n))
    return total if timedelta() < total <= MAX_WINDOW else None


@dataclass(frozen=True, slots=True)
class WindowRequest:
    """``/pemeliharaan <lokasi> <durasi> <alasan>`` parsed."""

    site: str  # as typed
    duration: timedelta
    reason: str


def parse_window(args: str) -> WindowRequest | None:
    """The site is every word before the first duration (site names have spaces)."""
    words = args.split()
    for i in range(1, len(words)):
        d = parse_duration(words[i])
        if d is not None and i + 1 < len(words):
            return WindowRequest(" ".join(words[:i]), d, " ".join(words[i + 1 :])[:300])
    return None


class Monitoring:
    """Monitoring as the bot sees it: the loop (when ``[monitor]`` is set), the
    maintenance windows and the status board (which work without it)."""

    def __init__(
        self,
        db: Database,
        queue: MessageQueue,
        workflow: Workflow,
        config: OfficeConfig,
        agent_for: AgentLookup,
        clock: Clock,
        probe: Probe | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.clock = clock
        self.site_names = [s.name for s in config.sites]
        self.shared = workflow.diagnoses.shared
        m = config.monitor
        self.loop: MonitorLoop | None = None
        sites: list[str | None] = list(dict.fromkeys(self.site_names)) or [None]
        if m is not None and any(any(watched_names(config, m, s)) for s in sites):
            self.loop = MonitorLoop(
                db, workflow, queue, m, sites, probe or agent_probe(agent_for, config, m), clock
            )

    def site_key(self, typed: str) -> str | None:
        """The configured site ``typed`` names (any case), or None; ``''`` is the office
        when there are no sites (any word then names it)."""
        if not self.site_names:
            return ""
        folded = typed.strip().casefold()
        matches = [n for n in self.site_names if n.casefold() == folded] or [
            n for n in self.site_names if folded and n.casefold().startswith(folded)
        ]
        return matches[0] if len(set(matches)) == 1 else None

    async def open_window(self, req: WindowRequest, press: Press) -> Window:
        """An ADB plans maintenance: monitoring is quiet for the site until it ends.
        ``Refused``: not an ADB, or no such site (``NOT_FOUND``)."""
        async with writing(self.db) as tx:
            if not model.may(press.roles, Command.MAINTENANCE):
                await self._audit(tx, press, Outcome.REFUSED, "/pemeliharaan")
                raise Refused(Outcome.REFUSED)
            key = self.site_key(req.site)
            if key is None:
                raise Refused(Outcome.NOT_FOUND)
            wid = await tx.monitor.add_window(
                key, tx.now + req.duration, req.reason, press.actor.id, press.actor.name
            )
            await self._audit(tx, press, Outcome.OK, f"/pemeliharaan {key or '-'} #{wid}")
            window = await tx.monitor.window(key, tx.now)
        assert window is not None
        return window

    async def end_window(self, wid: int, press: Press) -> Window:
        """An ADB ends a window early; monitoring speaks again at its next look.
        ``Refused``: not an ADB, or no such open window (``NOT_FOUND``)."""
        async with writing(self.db) as tx:
            if not model.may(press.roles, Command.MAINTENANCE):
                await self._audit(tx, press, Outcome.REFUSED, "/pemeliharaan selesai")
                raise Refused(Outcome.REFUSED)
            ended = await tx.monitor.end_window(wid)
            if ended is None:
                raise Refused(Outcome.NOT_FOUND)
            await self._audit(tx, press, Outcome.OK, f"/pemeliharaan selesai {wid}")
        return ended

    async def windows(self) -> list[Window]:
        return await self.db.reads.monitor.windows(self.clock())

    async def status(self) -> dict[str, Any]:
        """What /status shows: each site's state and since when, what is down, the broken
        part a site is behind ("tidak terjangkau"), the open incidents and the maintenance
        windows."""
        reads, now = self.db.reads, self.clock()
        sites = {s.site: s for s in await reads.monitor.sites()}
        watches = await reads.monitor.all_watches()
        windows = await reads.monitor.windows(now)
        names: list[str | None] = list(dict.fromkeys(self.site_names)) or [None]
        board = []
        for name in names:
            key = name or ""
            s = sites.get(key)
            mine = [w for w in watches if w.site == key]
            behind = await self.shared.broken(reads, name)
            board.append(
                {
                    "site": name,
                    "known": bool(mine),
                    "down": bool(s and s.down),
                    "since": s.changed_at if s else None,
                    "down_names": [w.name for w in mine if not w.up],
                    "checked": max((w.checked_at for w in mine if w.checked_at), default=None),
                    "window": next((w for w in windows if w.site == key), None),
                    "behind": (
                        {"part": behind.part, "inc": self.views.incident(behind)}
                        if behind
                        else None
                    ),
                }
            )
        incidents = [self.views.incident(i) for i in await reads.incidents.unclosed()]
        return {
            "sites": board,
            "incidents": incidents,
            "windows": windows,
            "monitoring": self.loop is not None,
            "now": now,
        }

    @staticmethod
    async def _audit(tx: Tx, press: Press, outcome: str, what: str) -> None:
        await tx.audit.add(
            update_id=press.update_id,
            user=press.actor,
            chat_id=press.chat_id,
            kind="command",
            what=what,
            outcome=outcome,
            complaint_id=None,
        )
