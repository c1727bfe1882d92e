"""The SOP "Maintenance Jaringan" as data and a state machine (pure, no I/O).

Steps, their official Indonesian names and standard times (mutu baku) come
from SOP no. 800/490/DKPS-PS/2022. A complaint moves through states only by
the transitions below; handlers ask ``next_state`` and store the answer with
a conditional update, so a forged or repeated press changes nothing.
Time is never read here: callers pass a ``Clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock: aware UTC time."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the SOP table."""

    no: int
    name: str  # the SOP's own wording
    min_minutes: int | None  # standard time, lower bound (None: the SOP gives none)
    max_minutes: int | None

    @property
    def standard(self) -> timedelta | None:
        """The longest time the SOP allows for the step."""
        return None if self.max_minutes is None else timedelta(minutes=self.max_minutes)

    def within_standard(self, taken: timedelta) -> bool | None:
        """Whether ``taken`` keeps the standard time (None when the SOP sets none)."""
        return None if self.standard is None else taken <= self.standard


STEPS: tuple[Step, ...] = (
    Step(1, "Menerima keluhan kerusakan/gangguan jaringan dari user", None, None),
    Step(2, "Melakukan pemeriksaan secara software", 10, 30),
    Step(3, "Melakukan pengecekan pengaturan alamat IP di dinas", 2, 2),
    Step(4, "Menge'ping' ke alamat IP yang dituju", 1, 1),
    Step(5, "Cek service di server apakah berjalan normal", 5, 5),
    Step(6, "Cek Hardware", 10, 20),
    Step(7, "Apakah jaringan sudah bisa berfungsi dengan baik ?", 5, 5),
    Step(8, "Melaporkan ke JF ADB", 5, 5),
    Step(9, "Melaporkan ke Kabid", 5, 5),
    Step(10, "Mencatat dalam Agenda", None, None),
    Step(11, "Hubungi pihak ke tiga untuk melakukan reparasi", None, None),
)
STEP = {s.no: s for s in STEPS}
CHECK_STEPS = (2, 3, 4, 5, 6)
RECORDED_OUTCOME = "Jaringan berjalan normal"


class State(StrEnum):
    """Where a complaint is in the SOP."""

    DIAGNOSING = "diagnosing"  # steps 2-6 running
    AWAITING_DECISION = "awaiting_decision"  # step 7: the ADB answers Ya/Tidak
    ESCALATED = "escalated"  # step 8 done: with the JF ADB
    VENDOR = "vendor"  # step 11: a third party was called
    CLOSED = "closed"  # step 9 done: the network runs normally


class Action(StrEnum):
    """What can happen to a complaint; each maps to one transition."""

    CHECKS_DONE = "checks_done"
    YES = "ya"
    NO = "tidak"
    RECHECK = "cek_ulang"
    CALL_VENDOR = "hubungi_vendor"
    FIXED = "sudah_diperbaiki"


class Role(StrEnum):
    """Who is acting (SOP "Pelaksana" plus the reporter)."""

    USER = "user"
    ADB = "adb"
    JF_ADB = "jf_adb"
    KABID = "kabid"


# (state, action) -> new state. Anything absent is refused.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DIAGNOSING, Action.CHECKS_DONE): State.AWAITING_DECISION,
    (State.AWAITING_DECISION, Action.YES): State.CLOSED,
    (State.AWAITING_DECISION, Action.NO): State.ESCALATED,
    (State.AWAITING_DECISION, Action.RECHECK): State.DIAGNOSING,
    (State.ESCALATED, Action.CALL_VENDOR): State.VENDOR,
    (State.VENDOR, Action.CALL_VENDOR): State.VENDOR,  # a second vendor, or a call again
    (State.ESCALATED, Action.FIXED): State.DIAGNOSING,
    (State.VENDOR, Action.FIXED): State.DIAGNOSING,
}

# Who may take each action. The bot itself finishes the checks.
PERMITTED: dict[Action, frozenset[Role]] = {
    Action.CHECKS_DONE: frozenset(),
    Action.YES: frozenset({Role.ADB}),
    Action.NO: frozenset({Role.ADB}),
    Action.RECHECK: frozenset({Role.ADB}),
    Action.CALL_VENDOR: frozenset({Role.ADB, Role.JF_ADB}),
    Action.FIXED: frozenset({Role.ADB, Role.JF_ADB}),
}


def next_state(state: State | str, action: Action | str) -> State | None:
    """The state after ``action``, or None when the SOP does not allow it now."""
    try:
        return TRANSITIONS.get((State(state), Action(action)))
    except ValueError:
        return None


def may(roles: frozenset[Role] | set[Role], action: Action) -> bool:
    """Whether someone holding ``roles`` may take ``action``."""
    return bool(PERMITTED[action] & set(roles))


def elapsed_vs_standard(step_no: int, seconds: float) -> tuple[float, int | None, bool | None]:
    """(minutes taken, standard maximum minutes, within the standard?) for display."""
    step = STEP[step_no]
    within = step.within_standard(timedelta(seconds=seconds))
    return seconds / 60.0, step.max_minutes, within
