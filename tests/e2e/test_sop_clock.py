"""The SOP's clock end to end, with the [sla] minutes set to seconds: the ADB's reminder
(replying to the prompt), the JF ADB's notice and the Kabid's escalation arrive; after
Ya no more reminders come."""

from __future__ import annotations

import asyncio

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, running, until, wait_decision
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, KABID_CHAT

SLA = """
[sla]
decision_minutes = 0.03
remind_every_minutes = 0.03
escalate_decision_minutes = 0.06
total_minutes = 0.08
pause_outside_office_hours = false
"""


def _reminders(stub: BotApiStub) -> list[dict]:
    return [m for m in stub.chat_messages(ADB_ID) if "Pengingat" in m["text"]]


async def test_reminder_escalation_and_nothing_after_ya(
    stub: BotApiStub, settings: Settings
) -> None:
    config = parse_config(FAST_CHECKS_TOML + SLA, model=OfficeConfig)
    async with running(Bot(settings, config)):
        tag = await file(stub, stub.user(7001, "Rina"), "internet mati")
        prompt = await wait_decision(stub, tag)
        reminder = await until(lambda: _reminders(stub), what="the ADB's reminder")
        assert tag in reminder[0]["text"]
        assert reminder[0].get("reply_to_message_id") == prompt["message_id"]
        notice = await until(
            lambda: [m for m in stub.chat_messages(JF_CHAT) if "terlambat" in m["text"]],
            what="the JF ADB notice",
        )
        assert tag in notice[0]["text"]
        overdue = await until(
            lambda: [
                m for m in stub.chat_messages(KABID_CHAT) if "melewati mutu baku" in m["text"]
            ],
            what="Kabid",
        )
        assert tag in overdue[0]["text"]

        stub.press(
            stub.user(ADB_ID, "Andi ADB"),
            ADB_ID,
            prompt["message_id"],
            stub.buttons(prompt)["✅ Ya"],
        )
        await until(lambda: [t for t in stub.texts(7001) if "selesai" in t], what="closed")
        seen = len(_reminders(stub))
        await asyncio.sleep(3 * 0.03 * 60)  # three reminder intervals pass
        assert len(_reminders(stub)) == seen, "no reminder after the decision"
