"""The bot diagnoses a complaint through a site's agent over HTTPS, end to end.

The real bot against the local Bot API stand-in, the real agent process with
a trustme certificate; all on 127.0.0.0/8. The agent's config has a database
listener the bot's own config does not know, so its finding in the ADB's
message proves the diagnosis ran on the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import trustme

from bot.agents import AgentClient, agent_lookup
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.telegram.runtime import run_bot
from checks.config import parse_config
from tests.support.agent import (
    TOKEN,
    AgentProcess,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import FAST_OUTBOX, Bot, until
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, KABID_CHAT, USER_ID

QUESTION = "Apakah jaringan sudah bisa berfungsi dengan baik ?"
SITE = "Kantor Dinas"
TOKEN_ENV = "DINAS_AGENT_TOKEN"


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[AgentProcess]:
    ca_file, cert, key = write_tls_files(tmp_path / "tls", trustme.CA())
    port = free_port()
    closed = free_port()  # nothing listens here: the agent reports the listener down
    config = loopback_config(tls=(cert, key), service_port=port, ping_count=1) + (
        f'[[services]]\nname = "Oracle listener"\nhost = "127.0.0.1"\nport = {closed}\n'
        "software = true\n"
    )
    running = start_agent(tmp_path / "agent", config, port=port, ca_file=ca_file)
    yield running
    running.stop()


@pytest.fixture
async def bot(tmp_path: Path, agent: AgentProcess) -> AsyncIterator[tuple[Bot, BotApiStub]]:
    config = parse_config(
        FAST_CHECKS_TOML
        + f"""
[[sites]]
name = "{SITE}"
agent_url = "{agent.url}"
agent_token_env = "{TOKEN_ENV}"
agent_ca_file = "{agent.ca_file}"
""",
        "bot.toml",
        model=OfficeConfig,
    )

    agent_for = agent_lookup(config, {TOKEN_ENV: TOKEN})

    with BotApiStub() as stub:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=stub.token,
            telegram_api_base_url=stub.base_url,
            adb_user_ids=(ADB_ID,),
            jf_adb_chat_id=JF_CHAT,
            kabid_chat_id=KABID_CHAT,
            netmaint_db=tmp_path / "netmaint.db",
            netmaint_lang="id",
            netmaint_poll_timeout=1,
        )
        running = Bot(settings, config)
        await _start(running, agent_for)
        try:
            yield running, stub
        finally:
            with contextlib.suppress(Exception):
                await running.stop()


async def _start(running: Bot, agent_for: Callable[[str | None], AgentClient]) -> None:
    """``Bot.start`` with our agent mapping (the e2e helper starts the default one)."""
    running.stop_event = asyncio.Event()
    ready = asyncio.Event()
    running.task = asyncio.create_task(
        run_bot(running.settings, running.config, running.stop_event, agent_for=agent_for,
                ready=ready, sender_options=FAST_OUTBOX)
    )  # fmt: skip
    waiter = asyncio.ensure_future(ready.wait())
    done, _ = await asyncio.wait(
        {waiter, running.task}, timeout=15, return_when=asyncio.FIRST_COMPLETED
    )
    if running.task in done:
        waiter.cancel()
        running.task.result()
    assert waiter in done, "bot did not start"


async def _file(stub: BotApiStub, user: dict, text: str) -> None:
    """File a complaint about the site through the /lapor dialog."""
    asked = len([m for m in stub.chat_messages(user["id"]) if "Di lokasi/unit mana" in m["text"]])
    stub.send_text(user, "/lapor")
    ask = await until(
        lambda: [m for m in stub.chat_messages(user["id"]) if "Di lokasi/unit mana" in m["text"]
                 and stub.buttons(m)][asked:],
        what="site question",
    )  # fmt: skip
    stub.press(user, user["id"], ask[0]["message_id"], stub.buttons(ask[0])[SITE])
    await until(lambda: stub.find(user["id"], "Jelaskan gangguannya"), what="text question")
    stub.send_text(user, text)


async def _decision(stub: BotApiStub, *needles: str) -> dict:
    """The ADB's finished diagnosis message holding ``needles``, once it has the buttons."""

    def decided() -> dict | None:
        msgs = [
            m for m in stub.chat_messages(ADB_ID)
            if all(n in m["text"] for n in needles) and QUESTION in m["text"]
        ]  # fmt: skip
        return msgs[-1] if msgs and stub.buttons(msgs[-1]) else None

    return dict(await until(decided, 30, f"diagnosis with {needles}"))


async def test_the_adb_sees_the_agents_diagnosis_then_that_it_is_unreachable(
    bot: tuple[Bot, BotApiStub], agent: AgentProcess
) -> None:
    _, stub = bot
    await _file(stub, stub.user(USER_ID, "Rina"), "SIAK tidak bisa dibuka di loket 2")
    first = (await _decision(stub, "Diagnosis keluhan #K1"))["text"]
    assert "Oracle listener" in first and "menolak koneksi" in first
    assert "tidak bisa dihubungi" not in first

    agent.stop()
    # A second complaint about the site joins the same outage; the ADB checks again.
    await _file(stub, stub.user(USER_ID + 1, "Sari"), "SIAK mati lagi")
    joined = await _decision(stub, "Diagnosis gangguan #I1", "#K1 #K2")
    stub.press(
        stub.user(ADB_ID, "Andi ADB"),
        ADB_ID,
        joined["message_id"],
        stub.buttons(joined)["🔁 Cek ulang"],
    )
    second = (await _decision(stub, "Diagnosis gangguan #I1", "pemeriksaan ke-2"))["text"]
    unreachable = f"agen di server {SITE} tidak bisa dihubungi: kemungkinan jaringan kantor putus"
    assert second.count(unreachable) == 1  # every step failed for it, but it is said once
    assert TOKEN not in "".join(stub.texts(ADB_ID) + stub.texts(USER_ID))
