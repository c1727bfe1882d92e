"""Monitoring and planned maintenance on a real SQLite file, with a loopback service the
test opens and closes and a clock it moves; each look is one ``tick()``, so no test
waits on time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.agents import agent_lookup
from bot.domain.model import Actor, Role
from bot.domain.outcomes import Outcome
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.sop.monitor import Count, advance, parse_duration, parse_window
from bot.sop.workflow import Press
from bot.storage import Database
from checks.config import ConfigError, parse_config
from tests.support.clock import FakeClock
from tests.support.monitor import Switch
from tests.support.office import ADB_ID, USER_ID, make_settings
from tests.support.sop import outcome

SITE = "Kantor Dinas"


def office(port: int, extra: str = "") -> OfficeConfig:
    return parse_config(
        f"""
[[sites]]
name = "{SITE}"

[[targets]]
name = "gateway-kantor"
host = "127.0.0.1"

[[services]]
name = "oracle-siak"
host = "127.0.0.1"
port = {port}

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = 0.5

[monitor]
interval_seconds = 0.05
down_after = 3
up_after = 2
services = ["oracle-siak"]
{extra}
""",
        "monitor.toml",
        model=OfficeConfig,
    )


@dataclass
class World:
    s: Services
    clock: FakeClock
    switch: Switch
    path: Path

    async def tick(self, n: int = 1) -> None:
        loop = self.s.monitoring.loop
        assert loop is not None
        for _ in range(n):
            await loop.tick()
            self.clock.advance(seconds=60)
        await self.s.diagnoses.idle()

    async def one(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        rows = await self.s.db.connection.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]

    async def incidents(self) -> list[tuple[object, ...]]:
        return await self.one("SELECT id, found_by, state FROM incidents ORDER BY id")

    async def sent(self, chat: int, purpose: str) -> list[str]:
        rows = await self.one(
            "SELECT json_extract(payload, '$.text') FROM outbox"
            " WHERE chat_id=? AND purpose=? ORDER BY id",
            chat,
            purpose,
        )
        return [str(r[0]) for r in rows]


async def _world(path: Path, clock: FakeClock, switch: Switch) -> AsyncIterator[World]:
    config = office(switch.port)
    async with Database(path, clock) as db:
        s = build_services(
            make_settings(path), config, db, agent_for=agent_lookup(config, {}), clock=clock
        )
        try:
            yield World(s, clock, switch, path)
        finally:
            await s.diagnoses.stop()


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    sw = Switch()
    await sw.on()
    yield sw
    await sw.off()


@pytest.fixture
async def world(tmp_path: Path, switch: Switch) -> AsyncIterator[World]:
    async for w in _world(tmp_path / "m.db", FakeClock(), switch):
        yield w


ADB = Press(Actor(ADB_ID, "Adi"), frozenset({Role.ADB}), ADB_ID, None)
USER = Press(Actor(USER_ID, "Ana"), frozenset({Role.USER}), USER_ID, None)


# --- the rule ------------------------------------------------------------------------------


def test_down_after_exactly_down_after_failures_and_up_after_up_after() -> None:
    c = Count()
    for _ in range(2):
        c = advance(c, False, 3, 2)
        assert c.up
    c = advance(c, False, 3, 2)
    assert not c.up
    c = advance(c, True, 3, 2)
    assert not c.up
    assert advance(c, True, 3, 2).up
    assert advance(c, None, 3, 2) == c  # unknown changes nothing


def test_a_thing_that_alternates_never_changes_state() -> None:
    c = Count()
    for i in range(100):
        c = advance(c, i % 2 == 0, 3, 2)
        assert c.up


def test_durations_and_the_command_are_parsed() -> None:
    assert parse_duration("2j") and parse_duration("2j").total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_duration("30m").total_seconds() == 1800  # type: ignore[union-attr]
    assert parse_duration("1h").total_seconds() == 3600  # type: ignore[union-attr]
    assert parse_duration("1j30m").total_seconds() == 5400  # type: ignore[union-attr]
    assert parse_duration("0m") is None and parse_duration("abc") is None
    assert parse_duration("9999j") is None  # over a week: a typo, not a plan
    req = parse_window("Kantor Dinas 2j ganti switch inti")
    assert req is not None and req.site == "Kantor Dinas" and req.reason == "ganti switch inti"
    assert parse_window("Kantor Dinas 2j") is None  # no reason


def test_unknown_monitored_names_are_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"monitor\.services: 'oracle' is not the name"):
        office(1, 'targets = ["gateway-kantor"]\n').model_copy()  # fine
        parse_config('[monitor]\nservices = ["oracle"]\n', "x.toml", model=OfficeConfig)
    with pytest.raises(ConfigError, match=r"monitor\.targets"):
        parse_config('[monitor]\ntargets = ["nope"]\n', "x.toml", model=OfficeConfig)


# --- the loop on a real database ------------------------------------------------------------


async def test_down_after_exactly_down_after_failed_checks_opens_one_incident(world: World) -> None:
    await world.tick(2)
    assert await world.incidents() == []
    await world.switch.off()
    await world.tick(2)
    assert await world.incidents() == []  # two failures: not yet
    await world.tick()
    incs = await world.incidents()
    assert len(incs) == 1 and incs[0][1] == "monitor"
    iid = incs[0][0]
    rows = await world.one(
        "SELECT reporter_name, channel, reporter_chat_id, text FROM complaints WHERE incident_id=?",
        iid,
    )
    assert len(rows) == 1
    name, channel, chat, text = rows[0]
    assert (name, channel, chat) == ("netmaint (pemantauan)", "monitor", None)
    assert "oracle-siak" in str(text)
    # The full diagnosis ran and the ADB has the usual prompt, with its buttons.
    state = await world.one("SELECT state FROM incidents WHERE id=?", iid)
    assert state == [("awaiting_decision",)]
    prompts = await world.one(
        "SELECT payload FROM outbox WHERE chat_id=? AND purpose=? ORDER BY id DESC LIMIT 1",
        ADB_ID,
        "diagnosis:1",
    )
    assert prompts and f"dec {iid} ya" in str(prompts[0][0])
    await world.tick(5)  # still down: nothing more
    assert len(await world.incidents()) == 1


async def test_flapping_opens_one_incident_and_recovery_is_said_once(world: World) -> None:
    for _ in range(10):  # alternating single checks never change anything
        await world.switch.off()
        await world.tick()
        await world.switch.on()
        await world.tick()
    assert await world.incidents() == []
    for _ in range(2):  # down, up, down, up: each past its threshold
        await world.switch.off()
        await world.tick(3)
        await world.switch.on()
        await world.tick(2)
    assert len(await world.incidents()) == 1
    said = await world.sent(ADB_ID, "monitor_up")
    assert len(said) == 1 and "menjawab lagi" in said[0]
    # Recovery says so; it does not decide: the ADB's prompt still waits for Ya/Tidak.
    assert (await world.incidents())[0][2] == "awaiting_decision"


async def test_a_users_complaint_joins_the_monitored_incident_and_hears_recovery(
    world: World,
) -> None:
    await world.switch.off()
    await world.tick(3)
    [(iid, _, _)] = await world.incidents()
    cid = await world.s.workflow.file(
        reporter=USER.actor,
        reporter_chat_id=USER_ID,
        channel="chat",
        site=SITE,
        text="SIAK tidak bisa dibuka",
    )
    assert await world.one("SELECT incident_id FROM complaints WHERE id=?", cid) == [(iid,)]
    [ack] = await world.sent(USER_ID, "ack")
    assert "Kantor sudah mengetahui" in ack and f"#I{iid}" in ack
    await world.switch.on()
    await world.tick(2)
    [up] = await world.sent(USER_ID, "monitor_up")
    assert f"#K{cid}" in up and "ADB akan memastikan" in up
    assert len(await world.sent(ADB_ID, "monitor_up")) == 1


async def test_a_maintenance_window_keeps_quiet_until_it_ends(world: World) -> None:
    req = parse_window(f"{SITE} 2j ganti switch inti")
    assert req is not None
    assert await outcome(world.s.monitoring.open_window(req, USER)) == Outcome.REFUSED
    window = await world.s.monitoring.open_window(req, ADB)
    assert not isinstance(window, str)
    await world.switch.off()
    await world.tick(5)
    assert await world.incidents() == []  # down, planned: nobody paged
    # A user who complains meanwhile is told it is planned, and the complaint is filed.
    cid = await world.s.workflow.file(
        reporter=USER.actor, reporter_chat_id=USER_ID, channel="chat", site=SITE, text="SIAK mati"
    )
    assert cid is not None
    [ack] = await world.sent(USER_ID, "ack")
    assert "pemeliharaan terencana" in ack and "ganti switch inti" in ack
    assert [w.id for w in await world.s.monitoring.windows()] == [window.id]
    world.clock.advance(hours=2)  # the window is over; the site is still down
    await world.tick()
    incs = await world.incidents()
    # The user's complaint opened its incident; monitoring's joins it, not a second one.
    assert len(incs) == 1
    assert len(await world.one("SELECT 1 FROM complaints WHERE channel='monitor'")) == 1
    assert await world.s.monitoring.windows() == []


async def test_an_adb_ends_a_window_early(world: World) -> None:
    req = parse_window("kantor 30m uji coba")  # a site's first words name it
    assert req is not None
    window = await world.s.monitoring.open_window(req, ADB)
    assert not isinstance(window, str) and window.site == SITE
    await world.switch.off()
    await world.tick(4)
    assert await world.incidents() == []
    assert await outcome(world.s.monitoring.end_window(window.id, USER)) == Outcome.REFUSED
    assert not isinstance(await world.s.monitoring.end_window(window.id, ADB), str)
    assert await outcome(world.s.monitoring.end_window(window.id, ADB)) == Outcome.NOT_FOUND
    await world.tick()
    assert [i[1] for i in await world.incidents()] == ["monitor"]


async def test_restart_while_down_opens_no_second_incident(tmp_path: Path, switch: Switch) -> None:
    clock, path = FakeClock(), tmp_path / "r.db"
    await switch.off()
    async for w in _world(path, clock, switch):
        await w.tick(2)  # two failures, then the bot stops
    async for w in _world(path, clock, switch):
        await w.tick()  # the stored count goes on: the third failure opens it
        assert len(await w.incidents()) == 1
    async for w in _world(path, clock, switch):
        await w.tick(4)  # restarted while down: the same incident
        assert len(await w.incidents()) == 1
        status = await w.s.monitoring.status()
        [site] = status["sites"]
        assert site["down"] and site["down_names"] == ["oracle-siak"]
        assert [i["id"] for i in status["incidents"]] == [1]


async def test_a_hung_agent_is_down_for_its_site_only(tmp_path: Path) -> None:
    """Site B's agent never answers: after ``down_after`` looks B is down (its outage
    opened), A stays up, and each look still ends (the timeout), so intake never waits."""
    config = parse_config(
        """
[[sites]]
name = "A"
[[sites]]
name = "B"
[[services]]
name = "oracle-siak"
port = 9
[monitor]
down_after = 2
timeout_seconds = 0.1
services = ["oracle-siak"]
""",
        "hung.toml",
        model=OfficeConfig,
    )
    never = asyncio.Event()

    async def probe(site: str | None) -> dict[tuple[str, str], bool | None]:
        if site == "B":
            await never.wait()
        return {("service", "oracle-siak"): True}

    clock, path = FakeClock(), tmp_path / "h.db"
    async with Database(path, clock) as db:
        s = build_services(
            make_settings(path),
            config,
            db,
            agent_for=agent_lookup(config, {}),
            clock=clock,
            probe=probe,
        )
        loop = s.monitoring.loop
        assert loop is not None
        try:
            for _ in range(2):
                await loop.tick()
            await s.diagnoses.idle()
            sites = {x.site: x.down for x in await db.reads.monitor.sites()}
            assert sites == {"B": 1}  # A never changed, so it has no row of its own
            incs = await db.reads.incidents.unclosed()
            assert [i.site for i in incs] == ["B"]
        finally:
            await s.diagnoses.stop()
