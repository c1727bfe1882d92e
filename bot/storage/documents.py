"""Read-only queries behind the documents (SOP step 10: the agenda, the monthly recap).

Each method reads one period's worth of one thing in one statement, so a year of
a busy office is a handful of queries, not one per complaint. The period is the
complaints' receipt time (``created_at``), half-open: ``start <= t < end``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.base import Table
from bot.storage.rows import Complaint, VendorCall, iso, to_complaint, to_vendor_call
from checks.models import CheckResult


@dataclass(frozen=True, slots=True)
class Decision:
    """An ADB's answer at step 7 for one complaint (Ya, Tidak, Cek ulang)."""

    complaint_id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    round: int | None = None  # the diagnosis round it answered


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One check result of one diagnosis round of an incident."""

    incident_id: int
    round: int
    result: CheckResult


@dataclass(frozen=True, slots=True)
class Finder:
    """How an incident came to the office: monitoring (``monitored``) or its first
    complaint's reporter, and when."""

    incident_id: int
    monitored: bool
    complaint_id: int
    reporter_id: int | None
    reporter_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Recovery:
    """An ADB's answer after Ya: whether a database recovery was done for an incident."""

    complaint_id: int
    incident_id: int | None
    answer: str  # "ya" or "tidak"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one diagnosis run (steps 2-6) for one complaint."""

    complaint_id: int
    round: int
    verdict: str


@dataclass(frozen=True, slots=True)
class MonthlySend:
    """The bot's own send of one month's recap."""

    month: str
    chat_id: int
    claimed_at: datetime
    sent_at: datetime | None


class DocumentReads(Table):
    """What the agenda and the recap print, for the complaints received in a period."""

    async def complaints(self, start: datetime, end: datetime) -> list[Complaint]:
        rows = await self._all(
            "SELECT * FROM complaints WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (iso(start), iso(end)),
        )
        return [to_complaint(r) for r in rows]

    async def first_received(self) -> datetime | None:
        """When the first complaint was received (``netmaint agenda --all`` starts there)."""
        row = await self._one("SELECT MIN(created_at) FROM complaints")
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def open_before(self, start: datetime) -> list[Complaint]:
        """Complaints received before ``start`` and not closed (today's agenda shows them)."""
        rows = await self._all(
            "SELECT * FROM complaints WHERE created_at < ? AND state != 'closed' ORDER BY id",
            (iso(start),),
        )
        return [to_complaint(r) for r in rows]

    async def decisions(self, start: datetime, end: datetime) -> list[Decision]:
        """Every step-7 decision on those complaints, oldest first."""
        rows = await self._all(
            "SELECT complaint_id, at, actor_id, actor_name, round,"
            " json_extract(detail, '$.action') AS action FROM timeline"
            " WHERE kind = 'decision' AND complaint_id IN"
            " (SELECT id FROM complaints WHERE created_at >= ? AND created_at < ?) ORDER BY id",
            (iso(start), iso(end)),
        )
        return [
            Decision(
                r["complaint_id"],
                datetime.fromisoformat(r["at"]),
                r["actor_id"],
                r["actor_name"],
                str(r["action"] or ""),
                r["round"],
            )
            for r in rows
        ]

    async def recoveries(self, start: datetime, end: datetime) -> list[Recovery]:
        """Every answer to the recovery database question on those complaints, oldest first."""
        rows = await self._all(
            "SELECT complaint_id, json_extract(detail, '$.incident') AS incident,"
            " json_extract(detail, '$.answer') AS answer FROM timeline"
            " WHERE kind = 'recovery' AND complaint_id IN"
            " (SELECT id FROM complaints WHERE created_at >= ? AND created_at < ?) ORDER BY id",
            (iso(start), iso(end)),
        )
        return [
            Recovery(
                r["complaint_id"],
                int(r["incident"]) if r["incident"] is not None else None,
                str(r["answer"] or ""),
            )
            for r in rows
        ]

    async def verdicts(self, start: datetime, end: datetime) -> list[Verdict]:
        """Every finished diagnosis run's verdict on those complaints, oldest first."""
        rows = await self._all(
            "SELECT complaint_id, round, json_extract(detail, '$.verdict') AS verdict"
            " FROM timeline WHERE kind = 'diagnosis' AND complaint_id IN"
            " (SELECT id FROM complaints WHERE created_at >= ? AND created_at < ?) ORDER BY id",
            (iso(start), iso(end)),
        )
        return [
            Verdict(r["complaint_id"], int(r["round"] or 1), str(r["verdict"] or "")) for r in rows
        ]

    async def vendor_calls(self, start: datetime, end: datetime) -> list[VendorCall]:
        """The third parties called about the incidents those complaints belong to."""
        rows = await self._all(
            "SELECT * FROM vendor_calls WHERE incident_id IN"
            " (SELECT incident_id FROM complaints WHERE created_at >= ? AND created_at < ?)"
            " ORDER BY id",
            (iso(start), iso(end)),
        )
        return [to_vendor_call(r) for r in rows]

    async def round_results(self, start: datetime, end: datetime) -> list[RoundResult]:
        """Every diagnosis round's results of the incidents those complaints belong to."""
        rows = await self._all(
            "SELECT incident_id, round, result FROM incident_checks WHERE incident_id IN"
            " (SELECT incident_id FROM complaints WHERE created_at >= ? AND created_at < ?)"
            " ORDER BY id",
            (iso(start), iso(end)),
        )
        return [
            RoundResult(
                r["incident_id"], int(r["round"]), CheckResult.model_validate_json(r["result"])
            )
            for r in rows
        ]

    async def finders(self, start: datetime, end: datetime) -> list[Finder]:
        """How each incident of those complaints was found (its first complaint now)."""
        rows = await self._all(
            "SELECT i.id AS incident_id, i.found_by, c.id AS complaint_id, c.reporter_id,"
            " c.reporter_name, c.created_at FROM incidents i JOIN complaints c"
            " ON c.id = (SELECT MIN(id) FROM complaints WHERE incident_id = i.id)"
            " WHERE i.id IN"
            " (SELECT incident_id FROM complaints WHERE created_at >= ? AND created_at < ?)",
            (iso(start), iso(end)),
        )
        return [
            Finder(
                r["incident_id"],
                r["found_by"] == "monitor",
                r["complaint_id"],
                r["reporter_id"],
                r["reporter_name"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]

    async def monthly_send(self, month: str) -> MonthlySend | None:
        row = await self._one("SELECT * FROM monthly_reports WHERE month = ?", (month,))
        if row is None:
            return None
        return MonthlySend(
            row["month"],
            row["chat_id"],
            datetime.fromisoformat(row["claimed_at"]),
            datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        )


class DocumentWrites(DocumentReads):
    """The monthly send's bookkeeping; only valid inside ``Database.write()``."""

    async def claim_monthly(self, month: str, chat_id: int) -> bool:
        """Claim ``month``'s send: True if it was not sent yet (a crashed claim is re-taken,
        and so is a send recorded later than now: it was made under a clock set ahead)."""
        now = iso(self.now)
        await self._exec(
            "INSERT INTO monthly_reports (month, chat_id, claimed_at) VALUES (?,?,?)"
            " ON CONFLICT(month) DO UPDATE SET claimed_at = excluded.claimed_at, sent_at = NULL"
            " WHERE monthly_reports.sent_at IS NULL OR monthly_reports.sent_at > ?",
            (month, chat_id, now, now),
        )
        return (
            await self._count(
                "SELECT sent_at IS NULL FROM monthly_reports WHERE month = ?", (month,)
            )
            == 1
        )

    async def sent_monthly(self, month: str, message_id: int | None) -> None:
        await self._exec(
            "UPDATE monthly_reports SET sent_at = ?, message_id = ?, error = NULL WHERE month = ?",
            (iso(self.now), message_id, month),
        )

    async def failed_monthly(self, month: str, error: str) -> None:
        await self._exec(
            "UPDATE monthly_reports SET error = ? WHERE month = ?", (error[:500], month)
        )
