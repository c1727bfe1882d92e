"""The SOP "Maintenance Jaringan" as data: steps, states, transitions, permissions (no I/O).

Steps, their official Indonesian names and standard times (mutu baku) come
from SOP no. 800/490/DKPS-PS/2022. A complaint moves through states only by
the transitions below, and each transition says which SOP steps it ends and
starts and which report it sends where, so the bookkeeping is read from this
table, not written by hand at each call site (``bot/sop/transition.py``
applies it). That includes the moves between incidents (``Move``: joining
one, split, still down, dismissal, merge). Time is never read here: callers
pass a ``Clock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


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
RECEIVE, DECIDE, REPORT_JF_ADB, REPORT_KABID, AGENDA, THIRD_PARTY = 1, 7, 8, 9, 10, 11
RECORDED_OUTCOME = "Jaringan berjalan normal"
SOP_NUMBER = "800/490/DKPS-PS/2022"
# The whole complaint, received -> report: the sum of the SOP's standard times (43-73 min).
TOTAL_STANDARD = (sum(s.min_minutes or 0 for s in STEPS), sum(s.max_minutes or 0 for s in STEPS))


class State(StrEnum):
    """Where a complaint is in the SOP."""

    DIAGNOSING = "diagnosing"  # steps 2-6 running
    AWAITING_DECISION = "awaiting_decision"  # step 7: the ADB answers Ya/Tidak
    ESCALATED = "escalated"  # step 8 done: with the JF ADB
    VENDOR = "vendor"  # step 11: a third party was called
    CLOSED = "closed"  # step 9 done: the network runs normally
    MERGED = "merged"  # an incident's only: its complaints moved to another incident


MERGED = State.MERGED
UNDECIDED = (State.DIAGNOSING, State.AWAITING_DECISION)  # a complaint may join, leave, merge
UNCLOSED = (*UNDECIDED, State.ESCALATED, State.VENDOR)


class Action(StrEnum):
    """What can happen to a complaint; each maps to one transition."""

    CHECKS_DONE = "checks_done"
    YES = "ya"
    NO = "tidak"
    RECHECK = "cek_ulang"
    CALL_VENDOR = "hubungi_vendor"
    FIXED = "sudah_diperbaiki"


class Move(StrEnum):
    """What moves complaints between incidents (or out of the SOP); each is a transition.

    A complaint that moves into an incident takes that incident's state, with the steps
    that state has running; permission comes from the command that asks for it."""

    JOIN = "join"  # filed into an incident, or moved into another by a merge
    SPLIT = "split"  # out of an undecided incident into a new one of its own (/pisah)
    STILL_DOWN = "still_down"  # closed, and the reporter says it is down again: a new incident
    DISMISS = "dismiss"  # closed as not a network fault (/tutup); also an incident it left empty
    MERGE = "merge"  # an undecided incident whose complaints moved to another (/gabung)


class Command(StrEnum):
    """What someone may ask of the bot besides a transition."""

    FILE = "lapor"  # file a complaint of one's own
    LOG = "catat"  # log a complaint received by phone or in person
    READ_ALL = "baca_semua"  # see any complaint and the agenda
    SHOW_VENDORS = "daftar_vendor"  # list the third parties
    TICKET = "tiket"  # record a third party's ticket number
    SPLIT = "pisah"  # take a complaint out of its incident (a different problem)
    MERGE = "gabung"  # merge two incidents (the same outage)
    STILL_DOWN = "masih_gangguan"  # a reporter says the network is still down after Ya
    NOTE = "catatan"  # the ADB's cause and action, after Ya or Tidak
    RECOVERY = "recovery_database"  # the ADB says whether a database recovery was done
    DISMISS = "tutup"  # close a complaint that is not a network fault
    MAINTENANCE = "pemeliharaan"  # open, list or end a planned maintenance window
    STATUS = "status"  # every site's state as monitoring sees it


class Role(StrEnum):
    """Who is acting (SOP "Pelaksana" plus the reporter)."""

    USER = "user"
    ADB = "adb"
    JF_ADB = "jf_adb"
    KABID = "kabid"


STAFF = frozenset({Role.ADB, Role.JF_ADB, Role.KABID})

# Who may do what: every transition and every command. The bot itself finishes the checks.
PERMITTED: dict[Action | Command, frozenset[Role]] = {
    Action.CHECKS_DONE: frozenset(),
    Action.YES: frozenset({Role.ADB}),
    Action.NO: frozenset({Role.ADB}),
    Action.RECHECK: frozenset({Role.ADB}),
    Action.CALL_VENDOR: frozenset({Role.ADB, Role.JF_ADB}),
    Action.FIXED: frozenset({Role.ADB, Role.JF_ADB}),
    Command.FILE: frozenset({Role.USER}),
    Command.LOG: frozenset({Role.ADB}),
    Command.READ_ALL: STAFF,
    Command.SHOW_VENDORS: frozenset({Role.ADB, Role.JF_ADB}),
    Command.TICKET: frozenset({Role.ADB, Role.JF_ADB}),
    Command.SPLIT: frozenset({Role.ADB}),
    Command.MERGE: frozenset({Role.ADB}),
    Command.STILL_DOWN: frozenset({Role.USER}),  # on their own complaint only
    Command.NOTE: frozenset({Role.ADB}),
    Command.RECOVERY: frozenset({Role.ADB}),
    Command.DISMISS: frozenset({Role.ADB}),
    Command.MAINTENANCE: frozenset({Role.ADB}),
    Command.STATUS: STAFF,
}


def may(roles: frozenset[Role] | set[Role], what: Action | Command) -> bool:
    """Whether someone holding ``roles`` may do ``what``."""
    return bool(PERMITTED[what] & set(roles))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a Telegram user, or the bot (id None)."""

    id: int | None
    name: str

    @classmethod
    def bot(cls) -> Actor:
        return cls(None, "netmaint")


@dataclass(frozen=True, slots=True)
class StepReport:
    """A report a transition sends (SOP steps 8 and 9): its step ends when it is delivered."""

    step: int
    template: str  # and the outbox purpose
    audience: Role  # whose group gets it
    follow_up: bool = False  # carries the JF ADB buttons (Sudah diperbaiki / pihak ketiga)


@dataclass(frozen=True, slots=True)
class Transition:
    """One edge of the SOP: what it changes and what the bookkeeping records."""

    source: State
    action: Action | Move
    target: State
    ends: tuple[int, ...] = ()  # steps whose clock stops now
    starts: tuple[int, ...] = ()  # steps whose clock starts now
    report: StepReport | None = None
    tell_reporter: str | None = None  # the outcome the reporter is told
    recheck: bool = False  # steps 2-6 run again (a new round)


# Filing a complaint starts step 1, which ends when the reporter's acknowledgement is
# delivered (received -> acknowledged), and opens the agenda entry (step 10), which stays
# open until the complaint is closed.
OPENED_ON_FILING = (RECEIVE, AGENDA)
ENDED_BY_ACKNOWLEDGEMENT = RECEIVE
JF_ADB_REPORT = StepReport(REPORT_JF_ADB, "jf_report", Role.JF_ADB, follow_up=True)
KABID_REPORT = StepReport(REPORT_KABID, "kabid_report", Role.KABID)


def _waits(state: State) -> tuple[int, ...]:
    """The steps whose clock runs while a complaint is in ``state`` (besides its agenda
    entry): the decision while it is awaited, the third party's repair while it is theirs."""
    return (
        (DECIDE,)
        if state is State.AWAITING_DECISION
        else (THIRD_PARTY,)
        if state is State.VENDOR
        else ()
    )


def _into(source: State, move: Move, target: State) -> Transition:
    """A complaint lands in an incident in ``target``: the steps its old state had running
    and the new one has not end, those the new one has running start for it (the decision
    is awaited for it too, once), and a closed one's agenda entry ends."""
    left, joined = _waits(source), _waits(target)
    return Transition(
        source,
        move,
        target,
        starts=tuple(s for s in joined if s not in left),
        ends=tuple(s for s in left if s not in joined)
        + ((AGENDA,) if target is State.CLOSED else ()),
    )


MOVES: tuple[Transition, ...] = (
    # a new complaint joins whatever its incident is doing; a merge moves undecided ones
    *(_into(State.DIAGNOSING, Move.JOIN, t) for t in (*UNCLOSED, State.CLOSED)),
    _into(State.AWAITING_DECISION, Move.JOIN, State.DIAGNOSING),
    _into(State.AWAITING_DECISION, Move.JOIN, State.AWAITING_DECISION),
    # a split complaint gets a new incident, which starts with its diagnosis
    *(_into(s, Move.SPLIT, State.DIAGNOSING) for s in UNDECIDED),
    # after Ya: the agenda entry opens again, and so does the diagnosis
    Transition(State.CLOSED, Move.STILL_DOWN, State.DIAGNOSING, starts=(AGENDA,)),
    # not a network fault: the complaint (or the incident it leaves empty) closes, and
    # nothing it was waiting for runs on
    *(Transition(s, Move.DISMISS, State.CLOSED, ends=(*_waits(s), AGENDA)) for s in UNCLOSED),
    *(Transition(s, Move.MERGE, State.MERGED) for s in UNDECIDED),
)
TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DIAGNOSING, Action.CHECKS_DONE, State.AWAITING_DECISION, starts=(DECIDE,)),
    Transition(
        State.AWAITING_DECISION,
        Action.YES,
        State.CLOSED,
        ends=(DECIDE, AGENDA),
        report=KABID_REPORT,
        tell_reporter="closed",
    ),
    Transition(
        State.AWAITING_DECISION,
        Action.NO,
        State.ESCALATED,
        ends=(DECIDE,),
        report=JF_ADB_REPORT,
        tell_reporter="escalated",
    ),
    Transition(
        State.AWAITING_DECISION, Action.RECHECK, State.DIAGNOSING, ends=(DECIDE,), recheck=True
    ),
    Transition(State.ESCALATED, Action.CALL_VENDOR, State.VENDOR, starts=(THIRD_PARTY,)),
    # a second vendor, or the same one called again
    Transition(State.VENDOR, Action.CALL_VENDOR, State.VENDOR),
    Transition(State.ESCALATED, Action.FIXED, State.DIAGNOSING, recheck=True),
    Transition(State.VENDOR, Action.FIXED, State.DIAGNOSING, ends=(THIRD_PARTY,), recheck=True),
    *MOVES,
)
_BY_EDGE: dict[tuple[State, Action | Move], list[Transition]] = {}
for _t in TRANSITIONS:
    _BY_EDGE.setdefault((_t.source, _t.action), []).append(_t)


def _action(action: Action | Move | str) -> Action | Move:
    if isinstance(action, Action | Move):
        return action
    try:
        return Action(action)
    except ValueError:
        return Move(action)


def transition(
    state: State | str, action: Action | Move | str, into: State | str | None = None
) -> Transition | None:
    """The transition ``action`` takes from ``state``, or None when the SOP does not allow it.

    A move into an incident has one edge per state it may land in: ``into`` picks it."""
    try:
        edges = _BY_EDGE.get((State(state), _action(action)), [])
    except ValueError:
        return None
    if len(edges) > 1 and into is not None:
        edges = [t for t in edges if t.target == into]
    return edges[0] if len(edges) == 1 else None


def next_state(state: State | str, action: Action | Move | str) -> State | None:
    """The state after ``action``, or None when the SOP does not allow it now."""
    t = transition(state, action)
    return t.target if t else None
