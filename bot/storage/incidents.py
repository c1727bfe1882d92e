"""Incidents: one outage, many complaints (the storm), one diagnosis, decision and report."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import MERGED, State
from bot.storage.base import Table
from bot.storage.rows import (
    Complaint,
    Incident,
    VendorCall,
    iso,
    to_complaint,
    to_incident,
    to_vendor_call,
)
from checks.models import CheckResult

# States in which a new complaint about the site joins the incident whatever its age.
UNDECIDED = (State.DIAGNOSING, State.AWAITING_DECISION)


class IncidentReads(Table):
    """Reading incidents, their complaints and their check results."""

    async def get(self, incident_id: int) -> Incident | None:
        row = await self._one("SELECT * FROM incidents WHERE id=?", (incident_id,))
        return to_incident(row) if row else None

    async def joinable(self, site: str | None, decided_since: datetime) -> Incident | None:
        """The incident a new complaint about ``site`` joins: the newest one still being
        diagnosed or awaiting the decision, or decided since ``decided_since``."""
        row = await self._one(
            "SELECT * FROM incidents WHERE site IS ? AND (state IN (?, ?)"
            " OR (state != ? AND decided_at >= ?)) ORDER BY id DESC LIMIT 1",
            (site, *UNDECIDED, MERGED, iso(decided_since)),
        )
        return to_incident(row) if row else None

    async def at_parts(self, parts: tuple[str, ...]) -> list[Incident]:
        """The open incidents (not closed, not merged) whose break is at one of ``parts``,
        oldest first: the one outage a complaint or a monitored site behind it joins."""
        if not parts:
            return []
        marks = ",".join("?" * len(parts))
        rows = await self._all(
            f"SELECT * FROM incidents WHERE part IN ({marks}) AND state NOT IN (?, ?)"  # noqa: S608
            " ORDER BY id",
            (*parts, State.CLOSED, MERGED),
        )
        return [to_incident(r) for r in rows]

    async def unclosed(self) -> list[Incident]:
        """Incidents not closed yet (being checked, awaiting the decision, with the JF ADB)."""
        return await self.in_states(tuple(s for s in State if s is not State.CLOSED))

    async def in_states(self, states: tuple[str, ...]) -> list[Incident]:
        marks = ",".join("?" * len(states))
        rows = await self._all(
            f"SELECT * FROM incidents WHERE state IN ({marks}) ORDER BY id",  # noqa: S608
            tuple(states),
        )
        return [to_incident(r) for r in rows]

    async def complaints(self, incident_id: int) -> list[Complaint]:
        """The complaints in the incident, oldest first (not those closed as no fault)."""
        rows = await self._all(
            "SELECT * FROM complaints WHERE incident_id=? AND dismissed IS NULL ORDER BY id",
            (incident_id,),
        )
        return [to_complaint(r) for r in rows]

    async def count(self, incident_id: int) -> int:
        """How many complaints the incident holds (not those closed as no fault)."""
        return await self._count(
            "SELECT COUNT(*) FROM complaints WHERE incident_id=? AND dismissed IS NULL",
            (incident_id,),
        )

    async def checks(self, incident_id: int, round: int) -> list[CheckResult]:
        """The check results of one diagnosis run, in the order they finished."""
        rows = await self._all(
            "SELECT result FROM incident_checks WHERE incident_id=? AND round=? ORDER BY id",
            (incident_id, round),
        )
        return [CheckResult.model_validate_json(r["result"]) for r in rows]

    async def recovery(self, incident_id: int) -> str | None:
        """The ADB's answer to "Apakah perlu recovery database?" for this incident ("ya",
        "tidak"), None before it: the first "recovery" row its complaints record about it
        (one that left the incident keeps its row, naming this incident, not its new one)."""
        row = await self._one(
            "SELECT json_extract(detail, '$.answer') AS answer FROM timeline"
            " WHERE complaint_id IN (SELECT id FROM complaints WHERE incident_id=?)"
            " AND kind='recovery' AND json_extract(detail, '$.incident')=? ORDER BY id LIMIT 1",
            (incident_id, incident_id),
        )
        return str(row["answer"]) if row else None

    async def vendor_calls(self, incident_id: int) -> list[VendorCall]:
        rows = await self._all(
            "SELECT * FROM vendor_calls WHERE incident_id=? ORDER BY id", (incident_id,)
        )
        return [to_vendor_call(r) for r in rows]


class IncidentWrites(IncidentReads):
    """Opening, moving, deciding and merging incidents."""

    async def add(self, site: str | None, state: State) -> int:
        return await self._insert(
            "INSERT INTO incidents (site, state, created_at, updated_at) VALUES (?,?,?,?)",
            (site, state, iso(self.now), iso(self.now)),
        )

    async def set_state(self, incident_id: int, old: str, new: str) -> bool:
        """Conditional update: True only if the incident was still in ``old``.

        Leaving the decision (Ya or Tidak) stamps ``decided_at``; closing stamps ``closed_at``.
        """
        decided = (
            iso(self.now)
            if (old == State.AWAITING_DECISION and new in (State.CLOSED, State.ESCALATED))
            else None
        )
        closed = iso(self.now) if new in (State.CLOSED, MERGED) else None
        awaiting = iso(self.now) if new == State.AWAITING_DECISION else None
        return (
            await self._exec(
                "UPDATE incidents SET state=?, updated_at=?, decided_at=COALESCE(?, decided_at),"
                " closed_at=COALESCE(?, closed_at), awaiting_since=COALESCE(?, awaiting_since)"
                " WHERE id=? AND state=?",
                (new, iso(self.now), decided, closed, awaiting, incident_id, old),
            )
            == 1
        )

    async def set_part(self, incident_id: int, part: str | None) -> None:
        """Where the break was located: the incident is now that part's outage (None:
        a re-check found every part answering)."""
        await self._exec(
            "UPDATE incidents SET part=?, updated_at=? WHERE id=?",
            (part, iso(self.now), incident_id),
        )

    async def set_note(self, incident_id: int, note: str) -> bool:
        """The ADB's cause and action taken (after Ya or Tidak)."""
        return (
            await self._exec(
                "UPDATE incidents SET note=?, updated_at=? WHERE id=?",
                (note, iso(self.now), incident_id),
            )
            == 1
        )

    async def notice(self, incident_id: int, kind: str, seq: int) -> bool:
        """Record that a reminder or notice fires; False if it fired before."""
        return (
            await self._exec(
                "INSERT OR IGNORE INTO notices (incident_id, kind, seq, at) VALUES (?,?,?,?)",
                (incident_id, kind, seq, iso(self.now)),
            )
            == 1
        )

    async def next_round(self, incident_id: int) -> int:
        """Start another diagnosis run (a re-check); returns its number."""
        await self._exec(
            "UPDATE incidents SET round=round+1, updated_at=? WHERE id=?",
            (iso(self.now), incident_id),
        )
        round_ = await self._count("SELECT round FROM incidents WHERE id=?", (incident_id,))
        await self._exec("UPDATE complaints SET round=? WHERE incident_id=?", (round_, incident_id))
        return round_

    async def add_check(self, incident_id: int, round: int, result: CheckResult) -> None:
        await self._insert(
            "INSERT INTO incident_checks (incident_id, round, step, status, result, at)"
            " VALUES (?,?,?,?,?,?)",
            (
                incident_id,
                round,
                result.step,
                str(result.status),
                result.model_dump_json(),
                iso(self.now),
            ),
        )

    async def link(self, complaint_id: int, incident_id: int) -> None:
        """Put a complaint in an incident (filing, splitting it out); it takes its round."""
        await self._exec(
            "UPDATE complaints SET incident_id=?, round=(SELECT round FROM incidents WHERE id=?)"
            " WHERE id=?",
            (incident_id, incident_id, complaint_id),
        )

    async def merge(self, source: int, target: int) -> None:
        """Every complaint of ``source`` moves to ``target``; ``source`` is marked merged."""
        await self._exec(
            "UPDATE complaints SET incident_id=?, round=(SELECT round FROM incidents WHERE id=?)"
            " WHERE incident_id=?",
            (target, target, source),
        )
        await self._exec("UPDATE incidents SET merged_into=? WHERE id=?", (target, source))

    async def add_vendor_call(
        self, incident_id: int, vendor: str, by_id: int | None, by_name: str
    ) -> int:
        return await self._insert(
            "INSERT INTO vendor_calls (incident_id, vendor, called_at, called_by_id,"
            " called_by_name) VALUES (?,?,?,?,?)",
            (incident_id, vendor, iso(self.now), by_id, by_name),
        )

    async def set_ticket(self, incident_id: int, ticket: str) -> bool:
        """Record the vendor's ticket number on the incident's latest call."""
        return (
            await self._exec(
                "UPDATE vendor_calls SET ticket=? WHERE id=(SELECT MAX(id) FROM vendor_calls"
                " WHERE incident_id=?)",
                (ticket, incident_id),
            )
            == 1
        )

    async def vendor_fixed(self, incident_id: int) -> None:
        await self._exec(
            "UPDATE vendor_calls SET fixed_at=? WHERE incident_id=? AND fixed_at IS NULL",
            (iso(self.now), incident_id),
        )
