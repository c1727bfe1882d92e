"""Incidents at the workflow level: joining, the decision for all, splitting, merging.

Real SOP services on a real SQLite file. The checks themselves are not the subject
here, so the agent answers at once with one passing step (an in-process stand-in for
``bot.agents``); everything else is the production code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.model import Action, Actor, Role
from bot.domain.outcomes import Outcome
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from bot.storage import Database
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.office import ADB_ID, make_settings
from tests.support.sop import InstantAgent, outcome

ADB = Press(Actor(ADB_ID, "Andi ADB"), frozenset({Role.USER, Role.ADB}), ADB_ID, 1)
CONFIG = """
[[sites]]
name = "Kantor Dinas"

[[sites]]
name = "Kecamatan Bayang"

[limits]
complaints_per_user = 0

[grouping]
window_minutes = 15
"""


async def _services(path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    config = parse_config(CONFIG, model=OfficeConfig)
    agent = InstantAgent()
    async with Database(path, clock) as db:
        s = build_services(
            make_settings(path), config, db, agent_for=lambda site: agent, clock=clock
        )
        try:
            yield s
        finally:
            await s.diagnoses.stop()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Services, FakeClock]]:
    clock = FakeClock()
    async for s in _services(tmp_path / "n.db", clock):
        yield s, clock


def reporter(n: int) -> Actor:
    return Actor(7000 + n, f"Pelapor {n}")


async def file(s: Services, n: int, site: str | None = "Kantor Dinas") -> int:
    who = reporter(n)
    cid = await s.workflow.file(
        reporter=who, reporter_chat_id=who.id, channel="chat", site=site, text=f"jaringan mati {n}"
    )
    assert cid is not None
    return cid


async def incident_of(s: Services, cid: int) -> int:
    c = await s.db.reads.complaints.get(cid)
    assert c is not None and c.incident_id is not None
    return c.incident_id


async def states(s: Services) -> list[str]:
    return [c.state for c in await s.db.reads.complaints.all()]


async def outbox(s: Services, sql: str, *params: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await s.db.connection.execute_fetchall(sql, params)]


async def test_a_storm_is_one_incident_one_diagnosis_one_prompt(
    world: tuple[Services, FakeClock],
) -> None:
    s, _ = world
    cids = [await file(s, n) for n in range(20)]
    await s.diagnoses.idle()
    assert {await incident_of(s, c) for c in cids} == {1}
    assert await states(s) == ["awaiting_decision"] * 20
    prompts = await outbox(
        s, "SELECT payload FROM outbox WHERE purpose='diagnosis:1' AND method='sendMessage'"
    )
    assert len(prompts) == 2, "one prompt in each ADB's chat, not one per complaint"
    [(runs,)] = await outbox(s, "SELECT COUNT(*) FROM incident_checks")
    assert runs == 1, "one diagnosis for the incident"
    acks = await outbox(s, "SELECT payload FROM outbox WHERE purpose='ack' ORDER BY id")
    assert len(acks) == 20 and "sudah 20 laporan" in str(acks[-1][0])

    assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
    told = await outbox(s, "SELECT complaint_id FROM outbox WHERE purpose='outcome'")
    assert sorted(c for (c,) in told) == cids, "every reporter is told, once"
    reports = await outbox(
        s, "SELECT payload FROM outbox WHERE purpose LIKE 'kabid_report%' AND method='sendMessage'"
    )
    assert len(reports) >= 1 and all(f"#K{c}" in str(reports) for c in cids)
    assert await states(s) == ["closed"] * 20


async def test_sites_make_separate_incidents_and_no_site_groups_with_no_site(
    world: tuple[Services, FakeClock],
) -> None:
    s, _ = world
    a, b = await file(s, 1), await file(s, 2, "Kecamatan Bayang")
    c, d = await file(s, 3, None), await file(s, 4, None)
    incidents = [await incident_of(s, x) for x in (a, b, c, d)]
    assert incidents[0] != incidents[1] and incidents[2] == incidents[3]
    assert len(set(incidents)) == 3


async def test_a_join_to_a_decided_incident_reopens_nothing(
    world: tuple[Services, FakeClock],
) -> None:
    s, clock = world
    first = await file(s, 1)
    await s.diagnoses.idle()
    assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
    clock.now += timedelta(minutes=10)
    late = await file(s, 2)
    assert await incident_of(s, late) == 1
    assert await states(s) == ["closed", "closed"]
    [(ack,)] = await outbox(
        s, "SELECT payload FROM outbox WHERE purpose='ack' AND complaint_id=?", late
    )
    assert "sudah dinyatakan selesai" in str(ack) and "kel 2 masih" in str(ack)
    assert await outcome(s.workflow.decide(1, Action.NO, ADB)) == Outcome.STALE, "nothing reopened"

    # The reporter says it is still down: a new incident, checked again.
    still = Press(reporter(2), frozenset({Role.USER}), reporter(2).id, 5)
    assert await outcome(s.workflow.still_down(late, still)) == Outcome.OK
    await s.diagnoses.idle()
    assert await incident_of(s, late) == 2 and await states(s) == ["closed", "awaiting_decision"]
    assert await outcome(s.workflow.still_down(first, still)) != Outcome.OK, (
        "only on one's own complaint"
    )

    # After the window, a new complaint opens a new incident.
    assert await outcome(s.workflow.decide(2, Action.YES, ADB)) == Outcome.OK
    clock.now += timedelta(minutes=16)
    assert await incident_of(s, await file(s, 3)) == 3


async def test_split_and_merge(world: tuple[Services, FakeClock]) -> None:
    s, _ = world
    a, b, c = await file(s, 1), await file(s, 2), await file(s, 3)
    await s.diagnoses.idle()
    user = Press(reporter(1), frozenset({Role.USER}), reporter(1).id, 5)
    assert await outcome(s.workflow.split(b, user)) == Outcome.REFUSED
    assert await outcome(s.workflow.split(b, ADB)) == Outcome.OK
    await s.diagnoses.idle()
    assert [await incident_of(s, x) for x in (a, b, c)] == [1, 2, 1]
    assert await outcome(s.workflow.split(b, ADB)) == Outcome.STALE, "alone in its incident"
    prompts = await outbox(
        s,
        "SELECT incident_id FROM outbox WHERE purpose='diagnosis:1'"
        " AND method='sendMessage' ORDER BY id",
    )
    assert [i for (i,) in prompts] == [1, 1, 2, 2], "the split one has its own prompt"

    assert await outcome(s.workflow.merge(1, 2, user)) == Outcome.REFUSED
    assert await outcome(s.workflow.merge(1, 1, ADB)) == Outcome.STALE
    assert await outcome(s.workflow.merge(1, 2, ADB)) == Outcome.OK
    assert [await incident_of(s, x) for x in (a, b, c)] == [1, 1, 1]
    merged = await s.db.reads.incidents.get(2)
    assert merged is not None and merged.state == "merged" and merged.merged_into == 1
    # Its prompt had not gone out yet (no sender here): withdrawn, not sent as "digabung";
    # #1's prompt lists the merged complaint.
    unsent = await outbox(
        s,
        "SELECT DISTINCT state FROM outbox WHERE incident_id=2 AND purpose='diagnosis:1'"
        " AND method='sendMessage'",
    )
    assert unsent == [("superseded",)]
    assert await outcome(s.workflow.decide(2, Action.YES, ADB)) == Outcome.STALE, (
        "decide on the target"
    )
    kinds = await outbox(s, "SELECT kind FROM timeline WHERE complaint_id=? ORDER BY id", b)
    assert ("split",) in kinds and ("merged",) in kinds
    audit = await outbox(s, "SELECT outcome, what FROM audit ORDER BY id")
    assert audit == [("split", f"/pisah {b}"), ("merged", "/gabung 1 2")]

    assert await outcome(s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
    assert await states(s) == ["escalated"] * 3
    assert await outcome(s.workflow.split(a, ADB)) == Outcome.STALE, (
        "a decided incident keeps its complaints"
    )


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("file"), st.integers(0, 5), st.sampled_from(["Kantor Dinas", None])),
        st.tuples(st.just("decide"), st.integers(1, 6), st.sampled_from(list(Action)[1:4])),
        st.tuples(st.just("split"), st.integers(1, 12), st.just(0)),
        st.tuples(st.just("merge"), st.integers(1, 6), st.integers(1, 6)),
        st.tuples(st.just("wait"), st.just(0), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_any_interleaving_keeps_each_complaint_in_one_incident_and_tells_once(
    tmp_path_factory: pytest.TempPathFactory,
    ops: list[tuple[str, object, object]],
) -> None:
    asyncio.run(_interleave(tmp_path_factory.mktemp("prop") / "n.db", ops))


async def _interleave(path: Path, ops: list[tuple[str, object, object]]) -> None:
    told: dict[int, int] = {}  # complaint -> decisions (Ya/Tidak) that reached it
    async for s in _services(path, FakeClock()):
        for op, x, y in ops:
            if op == "file":
                cid = await file(s, int(str(x)), y if isinstance(y, str) else None)
                told[cid] = 0
            elif op == "decide" and isinstance(y, Action):
                linked = [c.id for c in await s.db.reads.incidents.complaints(int(str(x)))]
                if (
                    await outcome(s.workflow.decide(int(str(x)), y, ADB)) == Outcome.OK
                    and y != Action.RECHECK
                ):
                    for cid in linked:
                        told[cid] += 1
            elif op == "split":
                await outcome(s.workflow.split(int(str(x)), ADB))
            elif op == "merge":
                await outcome(s.workflow.merge(int(str(x)), int(str(y)), ADB))
            else:
                await s.diagnoses.idle()
            # One statement: one snapshot (a diagnosis finishing between two reads would
            # show a complaint and its incident at different moments).
            pairs = await outbox(
                s,
                "SELECT c.state, i.state FROM complaints c"
                " LEFT JOIN incidents i ON i.id = c.incident_id",
            )
            for mine, its in pairs:
                assert its is not None and its != "merged", "in exactly one live incident"
                assert mine == its, "a complaint mirrors its incident"
        outcomes = await outbox(
            s,
            "SELECT complaint_id, COUNT(*) FROM outbox"
            " WHERE purpose='outcome' GROUP BY complaint_id",
        )
        assert dict(outcomes) == {c: n for c, n in told.items() if n}, "told once per decision"


async def test_the_adbs_note_and_closing_what_is_not_a_network_fault(
    world: tuple[Services, FakeClock],
) -> None:
    s, _ = world
    a, b = await file(s, 1), await file(s, 2)
    await s.diagnoses.idle()
    assert await outcome(s.workflow.add_note(1, "kabel putus", ADB)) == Outcome.STALE, (
        "only after the decision"
    )

    # /tutup: B was a duplicate; it leaves the incident, its reporter is told.
    user = Press(reporter(1), frozenset({Role.USER}), reporter(1).id, 5)
    assert await outcome(s.workflow.dismiss(b, "laporan ganda", user)) == Outcome.REFUSED
    assert await outcome(s.workflow.dismiss(b, "laporan ganda", ADB)) == Outcome.OK
    assert await outcome(s.workflow.dismiss(b, "lagi", ADB)) == Outcome.STALE
    told = await outbox(
        s, "SELECT payload FROM outbox WHERE purpose='outcome' AND complaint_id=?", b
    )
    assert len(told) == 1 and "bukan gangguan jaringan" in str(told[0][0])
    assert [c.id for c in await s.db.reads.incidents.complaints(1)] == [a]
    history = await s.queries.history_text((await s.db.reads.complaints.get(b)), full=True)
    assert "ditutup — bukan gangguan jaringan" in history and "laporan ganda" in history

    assert await outcome(s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
    asked = await outbox(s, "SELECT payload FROM outbox WHERE purpose='note_ask'")
    assert len(asked) == 1 and "#K1" in str(asked[0][0])
    assert await outcome(s.workflow.add_note(1, "kabel putus; vendor dipanggil", ADB)) == Outcome.OK
    inc = await s.db.reads.incidents.get(1)
    assert inc is not None and inc.note == "kabel putus; vendor dipanggil"
    history = await s.queries.history_text((await s.db.reads.complaints.get(a)), full=True)
    assert "catatan ADB: kabel putus" in history
    assert await states(s) == ["escalated", "closed"], "B is closed apart; A follows #I1"


async def test_closing_the_last_complaint_closes_its_incident(
    world: tuple[Services, FakeClock],
) -> None:
    s, _ = world
    only = await file(s, 1)
    await s.diagnoses.idle()
    assert await outcome(s.workflow.dismiss(only, "salah kirim", ADB)) == Outcome.OK
    inc = await s.db.reads.incidents.get(1)
    assert inc is not None and inc.state == "closed"
    assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.STALE


async def test_chat_reports_name_people_as_the_office_does(tmp_path: Path) -> None:
    """[[staff]] names replace Telegram names in reports and histories; others keep theirs."""
    config = parse_config(
        CONFIG
        + f"""
[[staff]]
telegram_id = {ADB_ID}
name = "Andi Saputra, S.Kom"
nip = "19900101 201501 1 001"
position = "Administrator Database"
""",
        model=OfficeConfig,
    )
    agent = InstantAgent()
    async with Database(tmp_path / "n.db") as db:
        s = build_services(
            make_settings(tmp_path / "n.db"), config, db, agent_for=lambda site: agent
        )
        try:
            cid = await file(s, 1)
            await s.diagnoses.idle()
            assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
            [(report,)] = await outbox(
                s, "SELECT payload FROM outbox WHERE purpose LIKE 'kabid_report%'"
            )
            assert "oleh Andi Saputra, S.Kom" in str(report) and "Andi ADB" not in str(report)
            c = await s.db.reads.complaints.get(cid)
            assert c is not None
            history = await s.queries.history_text(c, full=True)
            assert "Andi Saputra, S.Kom" in history and "Pelapor 1" in history
        finally:
            await s.diagnoses.stop()


async def test_still_down_or_split_on_a_dismissed_complaint_is_stale_not_a_crash(
    world: tuple[Services, FakeClock],
) -> None:
    """A /tutup complaint has left its incident: "still down" and /pisah do not apply."""
    s, _ = world
    a, b = await file(s, 1), await file(s, 2)
    await s.diagnoses.idle()
    assert await outcome(s.workflow.dismiss(b, "laporan ganda", ADB)) == Outcome.OK
    own = Press(reporter(2), frozenset({Role.USER}), reporter(2).id, 9)
    assert await outcome(s.workflow.still_down(b, own)) == Outcome.STALE
    assert await outcome(s.workflow.split(b, ADB)) == Outcome.STALE
    await s.diagnoses.idle()
    assert await states(s) == ["awaiting_decision", "closed"]
    assert [c.id for c in await s.db.reads.incidents.complaints(1)] == [a]


async def test_still_down_only_for_a_complaint_closed_today_and_within_the_limit(
    tmp_path: Path,
) -> None:
    """An old button cannot reopen every closed complaint of a reporter: one closed more
    than a day ago is a new /lapor, and reopening counts against [limits]."""
    clock = FakeClock()
    config = parse_config(
        CONFIG.replace("complaints_per_user = 0", "complaints_per_user = 2"), model=OfficeConfig
    )
    agent = InstantAgent()
    async with Database(tmp_path / "n.db", clock) as db:
        s = build_services(
            make_settings(tmp_path / "n.db"), config, db, agent_for=lambda site: agent, clock=clock
        )
        try:
            own = Press(reporter(1), frozenset({Role.USER}), reporter(1).id, 9)
            old = await file(s, 1)
            await s.diagnoses.idle()
            assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
            clock.advance(days=2)
            assert await s.workflow.preview_still_down(old, own) == Outcome.STALE
            assert await outcome(s.workflow.still_down(old, own)) == Outcome.STALE
            recent = await file(s, 1, site="Kecamatan Bayang")
            await s.diagnoses.idle()
            inc = await incident_of(s, recent)
            assert await outcome(s.workflow.decide(inc, Action.YES, ADB)) == Outcome.OK
            clock.advance(minutes=5)
            await file(s, 1)  # the second complaint within the window: at the limit now
            assert await outcome(s.workflow.still_down(recent, own)) == Outcome.LIMITED
            clock.advance(hours=2)  # the window has passed
            assert await outcome(s.workflow.still_down(recent, own)) == Outcome.OK
        finally:
            await s.diagnoses.stop()
