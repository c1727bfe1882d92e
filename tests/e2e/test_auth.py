"""Authorisation on the server: roles before anything else, one state change per legitimate
press however many arrive at once, and every refusal an audit row the office can read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.model import Action, Actor, Role, State
from bot.domain.outcomes import Outcome
from bot.services import Services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, rows, until, wait_decision
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, OTHER_ID, USER_ID, make_settings
from tests.support.sop import outcome, sop_services

CONFIG = FAST_CHECKS_TOML
VENDORS = '\n[[vendors]]\nname = "Telkom"\n\n[[sites]]\nname = "Kantor Dinas"\n'


def press(user_id: int, *roles: Role) -> Press:
    return Press(Actor(user_id, f"u{user_id}"), frozenset({Role.USER, *roles}), user_id, 1)


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    config = parse_config(CONFIG + VENDORS, model=OfficeConfig)
    async with sop_services(tmp_path / "n.db", config) as s:
        yield s


async def _complaint(s: Services, state: State) -> int:
    """A one-complaint incident in ``state``; complaint and incident share the number here."""
    async with s.db.write() as tx:
        iid = await tx.incidents.add(None, state)
        cid = await tx.complaints.add(
            state=state,
            reporter=Actor(USER_ID, "Rina"),
            reporter_chat_id=USER_ID,
            channel="chat",
            site=None,
            text="internet mati",
            incident_id=iid,
        )
    assert cid == iid
    return cid


async def test_two_adbs_pressing_at_once_change_the_state_once(svc: Services) -> None:
    cid = await _complaint(svc, State.AWAITING_DECISION)
    a, b = press(ADB_ID, Role.ADB), press(5002, Role.ADB)
    wf = svc.workflow
    answers = await asyncio.gather(
        outcome(wf.decide(cid, Action.YES, a)),
        outcome(wf.decide(cid, Action.NO, b)),
        outcome(wf.decide(cid, Action.YES, a)),
        outcome(wf.decide(cid, Action.RECHECK, b)),
    )
    assert sorted(answers) == [Outcome.OK, Outcome.STALE, Outcome.STALE, Outcome.STALE]
    events = await svc.db.reads.complaints.timeline(cid)
    assert [e.kind for e in events].count("decision") == 1
    assert [e.kind for e in events].count("state") == 1
    assert [e.kind for e in events].count("stale") == 3


@pytest.mark.parametrize("roles", [(), (Role.KABID,), (Role.JF_ADB,)])
async def test_who_may_not_press_is_refused_before_anything_else(
    svc: Services, roles: tuple[Role, ...]
) -> None:
    """The same answer for a real and a made-up number: pressing probes nothing."""
    cid = await _complaint(svc, State.AWAITING_DECISION)
    esc = await _complaint(svc, State.ESCALATED)
    p = press(OTHER_ID, *roles)
    for number in (cid, 999_999):
        for action in (Action.YES, Action.NO, Action.RECHECK):
            assert await outcome(svc.workflow.decide(number, action, p)) == Outcome.REFUSED
    if Role.JF_ADB not in roles:
        for number in (esc, 999_999):
            assert await outcome(svc.workflow.fixed(number, p)) == Outcome.REFUSED
            assert await outcome(svc.workflow.show_vendors(number, p)) == Outcome.REFUSED
            assert await outcome(svc.workflow.call_vendor(number, "0", p)) == Outcome.REFUSED
            assert await outcome(svc.workflow.call_vendor(number, "9", p)) == Outcome.REFUSED, (
                "the key is checked after the role"
            )
            assert await outcome(svc.workflow.set_ticket(number, "T-1", p)) == Outcome.REFUSED
    else:  # the JF ADB group may act on its report, never on the decision
        assert await outcome(svc.workflow.call_vendor(999_999, "0", p)) == Outcome.NOT_FOUND
    states = [c.state for c in await svc.db.reads.complaints.all()]
    assert states == [State.AWAITING_DECISION, State.ESCALATED]
    refused = [e for e in await svc.db.reads.complaints.timeline(cid) if e.kind == "refused"]
    assert len(refused) == 3 and {e.actor_id for e in refused} == {OTHER_ID}


async def test_refusals_are_audited_and_shown_to_staff(tmp_path: Path) -> None:
    with BotApiStub() as stub:
        settings = make_settings(tmp_path / "n.db", stub.token, stub.base_url)
        bot = Bot(settings, parse_config(CONFIG + VENDORS, model=OfficeConfig))
        await bot.start()
        try:
            user, other = stub.user(USER_ID, "Rina"), stub.user(OTHER_ID, "Sari")
            stub.send_text(user, "/lapor internet Kantor Dinas mati")
            msg = await wait_decision(stub, "#K1")
            # Sari starts a /lapor dialog, then presses a forged site button on the ADB's
            # diagnosis message: the dialog's buttons only work in her own chat.
            stub.send_text(other, "/lapor")
            await until(lambda: stub.find(OTHER_ID, "Di lokasi/unit mana"), what="question")
            q = stub.press(other, ADB_ID, msg["message_id"], "lap 0 other")
            stub.press(other, ADB_ID, msg["message_id"], stub.buttons(msg)["✅ Ya"])
            stub.press(other, ADB_ID, msg["message_id"], "dec 77 ya")
            stub.press(other, ADB_ID, msg["message_id"], "x" * 100)
            for text in ("/catat Pak Budi: mati", "/agenda", "/tiket 1 INC-1", "/lacak 1"):
                stub.send_text(other, text)
            await until(
                lambda: len(rows(settings.netmaint_db, "SELECT 1 FROM audit")) == 8,
                what="eight audit rows",
            )
            answer = await until(lambda: stub.answers.get(q), what="the refused press answered")
            assert "hanya untuk petugas" in answer["text"]
            assert stub.find(ADB_ID, "Diagnosis keluhan #K1") == msg, "the ADB's message kept"
            audit = rows(
                settings.netmaint_db, "SELECT kind, what, outcome, complaint_id, user_id FROM audit"
            )
            assert audit == [
                ("button", "lap 0 other", "refused", None, OTHER_ID),
                ("button", "dec 1 ya", "refused", 1, OTHER_ID),
                ("button", "dec 77 ya", "refused", 77, OTHER_ID),
                ("button", "x" * 64, "invalid", None, OTHER_ID),
                ("command", "/catat", "refused", None, OTHER_ID),
                ("command", "/agenda", "refused", None, OTHER_ID),
                ("command", "/tiket", "refused", 1, OTHER_ID),
                ("command", "/lacak", "not_found", 1, OTHER_ID),
            ]
            # The JF ADB group sees the refused press in the complaint's history.
            stub.send_text(stub.user(9100, "Joko JF"), "#K1", chat_id=JF_CHAT)
            hist = await until(lambda: stub.find(JF_CHAT, "Riwayat keluhan #K1"), what="history")
            assert "tombol ditolak" in hist["text"] and "Sari" in hist["text"]
            assert rows(settings.netmaint_db, "SELECT state FROM complaints") == [
                ("awaiting_decision",)
            ]
        finally:
            await bot.stop()


async def test_a_ticket_without_a_vendor_call_is_answered_at_once(svc: Services) -> None:
    """The "no vendor call yet" answer is queued and the sender woken, like every answer."""
    cid = await _complaint(svc, State.ESCALATED)
    woken: list[bool] = []
    svc.queue.wake = lambda: woken.append(True)  # type: ignore[method-assign]
    p = press(ADB_ID, Role.ADB)
    assert await outcome(svc.workflow.set_ticket(cid, "T-1", p)) == Outcome.STALE
    assert woken and await svc.db.reads.outbox.pending_count() == 1
    assert "ticket" not in [e.kind for e in await svc.db.reads.complaints.timeline(cid)]
