"""The SOP run for real: each operation is one transaction of state, timeline and outbox.

Handlers call these after parsing and authorising; the diagnosis runs here as
a background task per complaint. Nothing here talks to Telegram: messages are
outbox rows, committed together with the change that causes them, and the
sender delivers them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot import sop
from bot.agents import AgentClient, agent_environment, agent_lookup
from bot.config import OfficeConfig, Settings
from bot.messages import fit
from bot.sop import Action, Clock, Role, State
from bot.store import Actor, Complaint, OutboxRow, Store, Tx
from bot.views import LONG_EXCERPT, Markup, Views
from checks.models import CheckResult, Report

log = logging.getLogger(__name__)

# Answers to a button press (keys of templates/*/answers.txt.j2).
OK, REFUSED, STALE, NOT_FOUND = "ok", "refused", "stale", "not_found"

DECISIONS = {"ya": Action.YES, "no": Action.NO, "re": Action.RECHECK}


class RateLimited(Exception):
    """The reporter filed ``[limits] complaints_per_user`` complaints within the window."""


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed a button, where."""

    actor: Actor
    roles: frozenset[Role]
    chat_id: int | None
    message_id: int | None


class Service:
    """The SOP operations, bound to one store, settings and config."""

    def __init__(
        self,
        settings: Settings,
        config: OfficeConfig,
        store: Store,
        *,
        clock: Clock = sop.utc_now,
        agent_for: Callable[[str | None], AgentClient] | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.store = store
        self.clock = clock
        self.views = Views(settings.lang, settings.tz)
        self._agent_for = agent_for or agent_lookup(config, agent_environment(Path(".env")))
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.wake: Callable[[], None] = lambda: None  # the outbox sender sets this

    # --- sending (inside a transaction) -----------------------------------------------------

    async def send(
        self,
        tx: Tx,
        chat_id: int,
        text: str,
        *,
        markup: Markup | None = None,
        complaint_id: int | None = None,
        purpose: str | None = None,
        step: int | None = None,
    ) -> list[int]:
        """Queue ``text`` (split if too long; buttons on the last part)."""
        parts = fit(text)
        ids = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            payload: dict[str, Any] = {"text": part, "parse_mode": "HTML"}
            if last and markup:
                payload["reply_markup"] = markup
            ids.append(
                await tx.enqueue(
                    chat_id,
                    "sendMessage",
                    payload,
                    complaint_id=complaint_id,
                    purpose=purpose,
                    step=step if last else None,
                )
            )
        return ids

    async def edit(
        self, tx: Tx, row: OutboxRow, text: str, markup: Markup | None = None
    ) -> int:
        """Queue an edit of the message an earlier outbox row sent."""
        payload: dict[str, Any] = {"text": fit(text)[0], "parse_mode": "HTML"}
        if markup:
            payload["reply_markup"] = markup
        return await tx.enqueue(
            row.chat_id, "editMessageText", payload, complaint_id=row.complaint_id,
            purpose=row.purpose, ref_outbox_id=row.id,
        )

    async def edit_direct(
        self, tx: Tx, chat_id: int, message_id: int, text: str, markup: Markup | None = None
    ) -> int:
        """Queue an edit of a message whose id Telegram told us (a pressed one)."""
        payload: dict[str, Any] = {
            "text": fit(text)[0], "parse_mode": "HTML", "message_id": message_id
        }
        if markup:
            payload["reply_markup"] = markup
        return await tx.enqueue(chat_id, "editMessageText", payload)

    async def reply(self, chat_id: int, template: str, *, complaint_id: int | None = None,
                    markup: Markup | None = None, **ctx: Any) -> None:
        """Render ``template`` and queue it to ``chat_id`` in its own transaction."""
        text = self.views.html(template, **ctx)
        async with self.store.write() as tx:
            await self.send(tx, chat_id, text, markup=markup, complaint_id=complaint_id)
        self.wake()

    # --- step 1: a complaint ----------------------------------------------------------------

    async def file(
        self,
        *,
        reporter: Actor,
        reporter_chat_id: int | None,
        channel: str,
        site: str | None,
        text: str,
        filed_by: Actor | None = None,
        update_id: int | None = None,
        limited: bool = False,
    ) -> int | None:
        """File a complaint and start its diagnosis; None if this update already filed one.

        ``limited``: raise ``RateLimited`` when the reporter is over ``[limits]``; checked
        in the filing transaction, so two updates cannot both slip under the limit.
        """
        async with self.store.write() as tx:
            lim = self.config.limits
            if limited and reporter.id is not None and lim.complaints_per_user and not (
                await tx.may_file(reporter.id, update_id,
                                  tx.now - timedelta(minutes=lim.window_minutes),
                                  lim.complaints_per_user)):
                raise RateLimited
            cid = await tx.add_complaint(
                state=State.DIAGNOSING, reporter=reporter, reporter_chat_id=reporter_chat_id,
                channel=channel, site=site, text=text, filed_by=filed_by,
                source_update_id=update_id,
            )
            if cid is None:
                return None
            who = filed_by or reporter
            await tx.event(cid, "filed", actor=who, step=1, channel=channel, site=site,
                           length=len(text))
            await tx.event(cid, "step_start", actor=who, step=1)
            await tx.event(cid, "step_end", actor=who, step=1)
            await tx.event(cid, "step_start", actor=who, step=10)  # the agenda entry is open
            await tx.event(cid, "state", actor=who, state_to=State.DIAGNOSING, round=1)
            c = await tx.complaint(cid)
            assert c is not None
            if reporter_chat_id is not None:
                await self.send(tx, reporter_chat_id, self.views.html(
                    "ack", c=self.views.complaint(c)), complaint_id=cid, purpose="ack")
            await self._send_diagnosis(tx, c, [])
        self.wake()
        self.start_diagnosis(cid, 1)
        return cid

    # --- steps 2-6: the diagnosis -----------------------------------------------------------

    def _diagnosis_text(self, c: Complaint, checks: list, *, done: bool,
                        decision: dict[str, Any] | None = None, error: bool = False) -> str:
        return self.views.html(
            "diagnosis", c=self.views.complaint(c), steps=self.views.steps(checks),
            done=done, decision=decision, error=error,
        )

    async def _send_diagnosis(self, tx: Tx, c: Complaint, checks: list) -> None:
        text = self._diagnosis_text(c, checks, done=False)
        for chat in self.settings.adb_chats:
            await self.send(tx, chat, text, complaint_id=c.id, purpose=f"diagnosis:{c.round}")

    async def _edit_diagnosis(self, tx: Tx, c: Complaint, text: str,
                              markup: Markup | None) -> None:
        for row in await tx.outbox_for(c.id, f"diagnosis:{c.round}"):
            await self.edit(tx, row, text, markup)

    def start_diagnosis(self, cid: int, round_: int) -> None:
        """Run steps 2-6 in the background (one run per complaint at a time)."""
        old = self._tasks.pop(cid, None)
        if old is not None:
            old.cancel()
        task = asyncio.create_task(self._diagnose(cid, round_), name=f"diagnose-K{cid}")
        self._tasks[cid] = task
        task.add_done_callback(lambda t: self._tasks.pop(cid, None) if
                               self._tasks.get(cid) is t else None)

    async def resume(self) -> int:
        """After a restart: run again every diagnosis that was cut short."""
        pending = await self.store.complaints_in((State.DIAGNOSING,))
        for c in pending:
            log.info("resuming the diagnosis of #K%d (round %d)", c.id, c.round)
            self.start_diagnosis(c.id, c.round)
        return len(pending)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def idle(self) -> None:
        """Wait until no diagnosis is running (tests, graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _diagnose(self, cid: int, round_: int) -> None:
        c = await self.store.complaint(cid)
        if c is None:
            return
        report: Report | None = None
        try:
            agent = self._agent_for(c.site)
            report = await agent.diagnose(
                on_result=lambda r: self._on_result(cid, round_, r)
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("diagnosis of #K%d failed", cid)
        await self._finish(cid, round_, report)

    async def _on_result(self, cid: int, round_: int, result: CheckResult) -> None:
        async with self.store.write() as tx:
            c = await tx.complaint(cid)
            if c is None or c.round != round_ or c.state is not State.DIAGNOSING:
                return
            start = result.started_at
            end = start + timedelta(seconds=result.duration_s)
            await tx.event(cid, "step_start", step=result.step, round=round_, at=start)
            await tx.event(cid, "step_end", step=result.step, round=round_, at=end)
            await tx.event(cid, "check", step=result.step, round=round_,
                           status=str(result.status), result=result.model_dump(mode="json"))
            checks = await tx.checks(cid, round_)
            await self._edit_diagnosis(tx, c, self._diagnosis_text(c, checks, done=False), None)
        self.wake()

    async def _finish(self, cid: int, round_: int, report: Report | None) -> None:
        async with self.store.write() as tx:
            c = await tx.complaint(cid)
            if c is None or c.round != round_:
                return
            new = sop.next_state(c.state, Action.CHECKS_DONE)
            if new is None or not await tx.set_state(cid, c.state, new):
                return
            if report is None:
                await tx.event(cid, "error", round=round_, what="diagnosis")
            else:
                await tx.event(cid, "diagnosis", round=round_, verdict=str(report.verdict),
                               host=report.host, seconds=report.duration_s)
            await tx.event(cid, "state", state_from=c.state, state_to=new, round=round_)
            await tx.event(cid, "step_start", step=7, round=round_)
            checks = await tx.checks(cid, round_)
            text = self._diagnosis_text(c, checks, done=True, error=report is None)
            await self._edit_diagnosis(tx, c, text, self.views.decision_keyboard(cid))
        self.wake()

    # --- authorisation: the role first, so a refusal says nothing about which numbers exist --

    @staticmethod
    async def _authorised(tx: Tx, cid: int, roles: frozenset[Role], action: Action,
                          actor: Actor, chat_id: int | None, name: str
                          ) -> tuple[Complaint | None, str | None]:
        """The complaint if ``roles`` may do ``action``; else why not, with the refusal recorded."""
        c = await tx.complaint(cid)
        if not sop.may(roles, action):
            if c is not None:
                await tx.event(cid, "refused", actor=actor, action=name, chat_id=chat_id)
            return None, REFUSED
        if c is None:
            return None, NOT_FOUND
        return c, None

    # --- step 7: the decision, and steps 8 and 9 --------------------------------------------

    async def decide(self, cid: int, code: str, press: Press) -> str:
        """Ya / Tidak / Cek ulang pressed by ``press.actor``; returns the answer key."""
        action = DECISIONS[code]
        restart: int | None = None
        async with self.store.write() as tx:
            c, refusal = await self._authorised(tx, cid, press.roles, action, press.actor,
                                                press.chat_id, str(action))
            if c is None:
                return refusal or NOT_FOUND
            new = sop.next_state(c.state, action)
            if new is None or not await tx.set_state(cid, c.state, new):
                await tx.event(cid, "stale", actor=press.actor, action=str(action),
                               state=str(c.state))
                return STALE
            await tx.event(cid, "decision", actor=press.actor, step=7, round=c.round,
                           action=str(action))
            await tx.event(cid, "step_end", actor=press.actor, step=7, round=c.round)
            await tx.event(cid, "state", actor=press.actor, state_from=c.state, state_to=new,
                           round=c.round)
            decision = {"action": str(action), "by": press.actor.name, "at": tx.now}
            checks = await tx.checks(cid, c.round)
            await self._edit_diagnosis(
                tx, c, self._diagnosis_text(c, checks, done=True, decision=decision), None)
            after = await tx.complaint(cid)
            assert after is not None
            if action is Action.YES:
                await tx.event(cid, "step_end", actor=press.actor, step=10)
                await self._report(tx, after, checks, "kabid_report", self.settings.kabid_chat_id,
                                   step=9, by=press.actor)
                await self._tell_reporter(tx, after, "closed")
            elif action is Action.NO:
                await self._report(tx, after, checks, f"jf_report:{c.round}",
                                   self.settings.jf_adb_chat_id, step=8, by=press.actor,
                                   markup=self.views.jf_keyboard(cid))
                await self._tell_reporter(tx, after, "escalated")
            else:
                restart = await self._new_round(tx, after, press.actor)
        self.wake()
        if restart is not None:
            self.start_diagnosis(cid, restart)
        return OK

    async def _report(self, tx: Tx, c: Complaint, checks: list, purpose: str, chat_id: int,
                      *, step: int, by: Actor, markup: Markup | None = None) -> None:
        await tx.event(c.id, "step_start", actor=by, step=step, round=c.round)
        name = "kabid_report" if step == 9 else "jf_report"
        events = await tx.timeline(c.id)
        text = self.views.html(
            name, c=self.views.complaint(c), steps=self.views.steps(checks), events=events,
            times=self.views.compliance(events), vendors=await tx.vendor_calls(c.id),
            by=by.name, at=tx.now, outcome=sop.RECORDED_OUTCOME,
        )
        await self.send(tx, chat_id, text, markup=markup, complaint_id=c.id, purpose=purpose,
                        step=step)

    async def _tell_reporter(self, tx: Tx, c: Complaint, outcome: str) -> None:
        if c.reporter_chat_id is None:
            return
        text = self.views.html("outcome", c=self.views.complaint(c), outcome=outcome,
                               recorded=sop.RECORDED_OUTCOME)
        await self.send(tx, c.reporter_chat_id, text, complaint_id=c.id, purpose="outcome")

    async def _new_round(self, tx: Tx, c: Complaint, by: Actor) -> int:
        round_ = await tx.next_round(c.id)
        await tx.event(c.id, "recheck", actor=by, round=round_)
        fresh = await tx.complaint(c.id)
        assert fresh is not None
        await self._send_diagnosis(tx, fresh, [])
        return round_

    # --- step 11: the third party -----------------------------------------------------------

    async def jf_action(self, cid: int, code: str, press: Press) -> str:
        """A button on the JF ADB report: "fix" (Sudah diperbaiki) or "ven" (vendors)."""
        if code == "ven":
            return await self.show_vendors(cid, press)
        return await self.fixed(cid, press)

    async def show_vendors(self, cid: int, press: Press) -> str:
        async with self.store.write() as tx:
            c, refusal = await self._authorised(tx, cid, press.roles, Action.CALL_VENDOR,
                                                press.actor, press.chat_id, "show_vendors")
        if c is None:
            return refusal or NOT_FOUND
        if sop.next_state(c.state, Action.CALL_VENDOR) is None or press.chat_id is None:
            return STALE
        vendors = list(self.config.vendors)
        await self.reply(
            press.chat_id, "vendors", complaint_id=cid, c=self.views.complaint(c),
            vendors=vendors, markup=self.views.vendor_keyboard(cid, [v.name for v in vendors]),
        )
        return OK

    async def call_vendor(self, cid: int, index: str, press: Press) -> str:
        """Record that a configured vendor was called (step 11 starts)."""
        vendors = self.config.vendors
        async with self.store.write() as tx:
            c, refusal = await self._authorised(tx, cid, press.roles, Action.CALL_VENDOR,
                                                press.actor, press.chat_id, "call_vendor")
            if c is None:
                return refusal or NOT_FOUND
            if not index.isdigit() or int(index) >= len(vendors):
                return STALE
            vendor = vendors[int(index)]
            new = sop.next_state(c.state, Action.CALL_VENDOR)
            if new is None or not await tx.set_state(cid, c.state, new):
                return STALE
            await tx.add_vendor_call(cid, vendor.name, press.actor)
            if c.state is not State.VENDOR:
                await tx.event(cid, "step_start", actor=press.actor, step=11, round=c.round)
                await tx.event(cid, "state", actor=press.actor, state_from=c.state,
                               state_to=new)
            await tx.event(cid, "vendor_call", actor=press.actor, step=11, vendor=vendor.name)
            if press.chat_id is not None:
                await self.send(tx, press.chat_id, self.views.html(
                    "vendor_called", c=self.views.complaint(c), vendor=vendor,
                    by=press.actor.name, at=tx.now), complaint_id=cid, purpose="vendor")
        self.wake()
        return OK

    async def set_ticket(self, cid: int, ticket: str, actor: Actor, roles: frozenset[Role],
                         chat_id: int) -> str:
        """Record the vendor's own ticket number on the latest call (/tiket)."""
        async with self.store.write() as tx:
            c, refusal = await self._authorised(tx, cid, roles, Action.CALL_VENDOR, actor,
                                                chat_id, "ticket")
            if c is None:
                return refusal or NOT_FOUND
            ok = await tx.set_ticket(cid, ticket)
            if ok:
                await tx.event(cid, "ticket", actor=actor, step=11, ticket=ticket)
            # Without a vendor call there is nothing to attach it to: say so (STALE).
            await self.send(tx, chat_id, self.views.html(
                "ticket", c=self.views.complaint(c), ticket=ticket, ok=ok),
                complaint_id=cid if ok else None)
        self.wake()  # both answers are queued: deliver now, not at the sender's next poll
        return OK if ok else STALE

    async def fixed(self, cid: int, press: Press) -> str:
        """"Sudah diperbaiki": re-run the checks and go back to the decision."""
        async with self.store.write() as tx:
            c, refusal = await self._authorised(tx, cid, press.roles, Action.FIXED, press.actor,
                                                press.chat_id, "fixed")
            if c is None:
                return refusal or NOT_FOUND
            new = sop.next_state(c.state, Action.FIXED)
            if new is None or not await tx.set_state(cid, c.state, new):
                return STALE
            if c.state is State.VENDOR:
                await tx.vendor_fixed(cid)
                await tx.event(cid, "step_end", actor=press.actor, step=11, round=c.round)
            await tx.event(cid, "fixed", actor=press.actor, round=c.round)
            await tx.event(cid, "state", actor=press.actor, state_from=c.state, state_to=new)
            for row in (await tx.outbox_for(cid, f"jf_report:{c.round}"))[-1:]:
                await tx.enqueue(row.chat_id, "editMessageReplyMarkup", {},
                                 complaint_id=cid, ref_outbox_id=row.id)
            await self.send(tx, self.settings.jf_adb_chat_id, self.views.html(
                "fixed", c=self.views.complaint(c), by=press.actor.name, at=tx.now),
                complaint_id=cid, purpose="fixed")
            after = await tx.complaint(cid)
            assert after is not None
            round_ = await self._new_round(tx, after, press.actor)
        self.wake()
        self.start_diagnosis(cid, round_)
        return OK

    # --- step 10: the agenda ----------------------------------------------------------------

    async def history_text(self, c: Complaint, *, full: bool) -> str:
        events = await self.store.timeline(c.id)
        return self.views.html(
            "history", c=self.views.complaint(c, LONG_EXCERPT), full=full, events=events,
            times=self.views.compliance(events), vendors=await self.store.vendor_calls(c.id),
        )

    async def agenda_text(self, now: datetime) -> str:
        local = now.astimezone(self.settings.tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        items = await self.store.agenda(start)
        open_ = [self.views.complaint(c, 80) for c in items if c.state is not State.CLOSED]
        done = [self.views.complaint(c, 80) for c in items if c.state is State.CLOSED]
        return self.views.html("agenda", open=open_, closed=done, now=now)

    # --- the sender tells us a chat blocked the bot -----------------------------------------

    async def on_unreachable(self, tx: Tx, chat_id: int, complaint_id: int | None) -> None:
        """Called inside the sender's transaction: tell the ADB (unless it is the ADB chat)."""
        if chat_id in self.settings.adb_chats:
            log.warning("an ADB chat %s cannot be reached; check the bot is started there",
                        chat_id)
            return
        c = await tx.complaint(complaint_id) if complaint_id is not None else None
        text = self.views.html("unreachable", chat_id=chat_id,
                               c=self.views.complaint(c) if c else None)
        for chat in self.settings.adb_chats:
            await self.send(tx, chat, text, complaint_id=complaint_id, purpose="unreachable")
