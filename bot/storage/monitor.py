"""Monitoring's rows: each watched thing's counts, each site's up/down, maintenance windows.

Sites are keyed by their configured name, ``''`` for the office when there are no
``[[sites]]`` (SQL's NULL would not be a usable key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.base import Table
from bot.storage.rows import iso, mapper


@dataclass(frozen=True, slots=True)
class WatchRow:
    """One watched target or service of a site, as last stored."""

    site: str
    kind: str
    name: str
    up: int
    fails: int
    goods: int
    checked_at: datetime | None
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SiteRow:
    """A site's state as monitoring sees it, and the outage it reported."""

    site: str
    down: int
    changed_at: datetime | None
    incident_id: int | None
    recovered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Window:
    """A planned maintenance window: monitoring keeps quiet about ``site`` meanwhile."""

    id: int
    site: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    by_name: str | None
    ended_at: datetime | None

    @property
    def until(self) -> datetime:
        return self.ended_at or self.ends_at


to_watch, to_site, to_window = mapper(WatchRow), mapper(SiteRow), mapper(Window)


class MonitorReads(Table):
    """Reading monitoring's state and the maintenance windows."""

    async def watches(self, site: str) -> list[WatchRow]:
        rows = await self._all(
            "SELECT * FROM monitor_watch WHERE site=? ORDER BY kind, name", (site,)
        )
        return [to_watch(r) for r in rows]

    async def all_watches(self) -> list[WatchRow]:
        rows = await self._all("SELECT * FROM monitor_watch ORDER BY site, kind, name")
        return [to_watch(r) for r in rows]

    async def site(self, site: str) -> SiteRow | None:
        row = await self._one("SELECT * FROM monitor_sites WHERE site=?", (site,))
        return to_site(row) if row else None

    async def sites(self) -> list[SiteRow]:
        return [to_site(r) for r in await self._all("SELECT * FROM monitor_sites ORDER BY site")]

    async def window(self, site: str, at: datetime) -> Window | None:
        """The maintenance window covering ``site`` at ``at`` (the one ending last)."""
        row = await self._one(
            "SELECT * FROM maintenance WHERE site=? AND starts_at<=? AND ends_at>? AND"
            " (ended_at IS NULL OR ended_at>?) ORDER BY ends_at DESC LIMIT 1",
            (site, iso(at), iso(at), iso(at)),
        )
        return to_window(row) if row else None

    async def windows(self, at: datetime) -> list[Window]:
        """Windows not over at ``at``, soonest end first."""
        rows = await self._all(
            "SELECT * FROM maintenance WHERE ends_at>? AND (ended_at IS NULL OR ended_at>?)"
            " ORDER BY ends_at, id",
            (iso(at), iso(at)),
        )
        return [to_window(r) for r in rows]


class MonitorWrites(MonitorReads):
    """Storing checks' outcomes, a site's change, the incident reported, the windows."""

    async def put_watch(self, w: WatchRow) -> None:
        await self._exec(
            "INSERT INTO monitor_watch (site, kind, name, up, fails, goods, checked_at,"
            " changed_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (site, kind, name) DO UPDATE"
            " SET up=excluded.up, fails=excluded.fails, goods=excluded.goods,"
            " checked_at=excluded.checked_at, changed_at=excluded.changed_at",
            (
                w.site,
                w.kind,
                w.name,
                w.up,
                w.fails,
                w.goods,
                iso(w.checked_at) if w.checked_at else None,
                iso(w.changed_at) if w.changed_at else None,
            ),
        )

    async def drop_watches(self, site: str, keep: list[tuple[str, str]]) -> None:
        """Forget what a site no longer watches, so /status shows no stale 'down'."""
        for w in await self.watches(site):
            if (w.kind, w.name) not in keep:
                await self._exec(
                    "DELETE FROM monitor_watch WHERE site=? AND kind=? AND name=?",
                    (site, w.kind, w.name),
                )

    async def put_site(self, s: SiteRow) -> None:
        await self._exec(
            "INSERT INTO monitor_sites (site, down, changed_at, incident_id, recovered_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT (site) DO UPDATE SET down=excluded.down,"
            " changed_at=excluded.changed_at, incident_id=excluded.incident_id,"
            " recovered_at=excluded.recovered_at",
            (
                s.site,
                s.down,
                iso(s.changed_at) if s.changed_at else None,
                s.incident_id,
                iso(s.recovered_at) if s.recovered_at else None,
            ),
        )

    async def attach(self, site: str, incident_id: int) -> None:
        """The outage monitoring reported for ``site`` (its recovery not said yet)."""
        await self._exec(
            "INSERT INTO monitor_sites (site, down, changed_at, incident_id) VALUES (?,1,?,?)"
            " ON CONFLICT (site) DO UPDATE SET incident_id=excluded.incident_id,"
            " recovered_at=NULL",
            (site, iso(self.now), incident_id),
        )

    async def mark_found(self, incident_id: int) -> None:
        await self._exec("UPDATE incidents SET found_by='monitor' WHERE id=?", (incident_id,))

    async def add_window(
        self, site: str, ends_at: datetime, reason: str, by_id: int | None, by_name: str
    ) -> int:
        return await self._insert(
            "INSERT INTO maintenance (site, starts_at, ends_at, reason, by_id, by_name)"
            " VALUES (?,?,?,?,?,?)",
            (site, iso(self.now), iso(ends_at), reason, by_id, by_name),
        )

    async def end_window(self, window_id: int) -> Window | None:
        """End a window now; None if there is no such window still running."""
        changed = await self._exec(
            "UPDATE maintenance SET ended_at=? WHERE id=? AND ends_at>? AND ended_at IS NULL",
            (iso(self.now), window_id, iso(self.now)),
        )
        if not changed:
            return None
        row = await self._one("SELECT * FROM maintenance WHERE id=?", (window_id,))
        return to_window(row) if row else None
