"""The break on the path, named over real routing, and kept over a restart (issue 21).

The test thread moves into a kecamatan's network namespace (``entered``), so the
stand-in, the bot and its in-process checks all run at the site; SIAK lies behind a
router, an ISP and the data center, each a namespace of its own
(``tests/support/topology.py``). The VPN's line into the data center goes down; a
reporter complains; the ADB's prompt names the VPN and who repairs it. The bot
restarts before the ADB decides; the decision on the prompt sent before still
reaches the JF ADB with the VPN and its line's id, and nothing is sent twice. With
the monitor on, the office line going down opens the site's incident naming the
ISP; the bot restarts while it is open, the line comes back, and the all-clear
arrives once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, running, settled, until, wait_decision
from tests.support.netns import require_netns
from tests.support.office import ADB_ID, JF_CHAT, USER_ID, make_settings
from tests.support.topology import (
    ISP_LINK,
    LAN,
    PUSAT_LINK,
    SITES,
    VPN_LINK,
    Topology,
    entered,
    office_toml,
    topology,
)


@pytest.fixture
def net() -> Iterator[Topology]:
    require_netns()
    with topology(sites=1) as t:
        yield t


@pytest.fixture
def at_site(net: Topology) -> Iterator[BotApiStub]:
    """The stand-in, started inside the site's namespace with this thread there."""
    with entered(net.site(0)), BotApiStub() as s:
        yield s


MONITOR_TOML = f"""
[monitor]
interval_seconds = 0.2
down_after = 2
up_after = 1
targets = ["{LAN[0]}", "{ISP_LINK}", "{VPN_LINK}"]
services = ["{PUSAT_LINK}"]
"""


def bot_at(stub: BotApiStub, tmp: Path, extra: str = "") -> Bot:
    """The bot of this site: the topology's path, the stand-in in the namespace."""
    settings: Settings = make_settings(tmp / "netmaint.db", stub.token, stub.base_url)
    return Bot(settings, parse_config(office_toml(1) + extra, "path.toml", model=OfficeConfig))


@pytest.fixture
async def bot(at_site: BotApiStub, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running(bot_at(at_site, tmp_path)) as b:
        yield b


async def test_a_vpn_break_is_named_and_survives_a_restart(
    net: Topology, at_site: BotApiStub, bot: Bot
) -> None:
    stub = at_site
    net.break_part("vpn")
    await file(stub, stub.user(USER_ID, "Rina"), "SIAK putus sejak pagi", site=SITES[0])
    prompt = await wait_decision(stub, "#K1")
    assert "Titik gangguan: VPN SIAK (VPN)" in prompt["text"]
    assert "diperbaiki oleh: ISP Telkom (ID layanan 4700999888)" in prompt["text"]

    await bot.restart()
    adb = stub.user(ADB_ID, "Andi ADB")
    stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["❌ Tidak"])
    report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="report")
    assert "Titik gangguan: VPN SIAK" in report["text"] and "4700999888" in report["text"]
    await settled(bot.settings.netmaint_db)
    prompts = [m for m in stub.chat_messages(ADB_ID) if "Diagnosis keluhan #K1" in m["text"]]
    assert len(prompts) == 1 and stub.duplicates() == 0


async def test_siak_closed_in_the_data_center_reads_outside_the_office(
    net: Topology, at_site: BotApiStub, bot: Bot
) -> None:
    stub = at_site
    net.break_part("pusat")
    await file(stub, stub.user(USER_ID, "Rina"), "SIAK tidak bisa dibuka", site=SITES[0])
    text = (await wait_decision(stub, "#K1"))["text"]
    assert "Titik gangguan: SIAK Terpusat (pusat data Kemendagri)" in text
    assert "Gangguan di luar kantor" in text and "hubungi Helpdesk SIAK Kemendagri" in text


async def test_the_monitor_names_a_broken_line_and_its_recovery_survives_a_restart(
    net: Topology, at_site: BotApiStub, tmp_path: Path
) -> None:
    stub = at_site
    async with running(bot_at(stub, tmp_path, MONITOR_TOML)) as b:
        net.break_part("isp")
        prompt = await wait_decision(stub, "#K1")
        assert "netmaint (pemantauan)" in prompt["text"] and SITES[0] in prompt["text"]
        assert "Titik gangguan: Internet Kabupaten (jalur internet (ISP))" in prompt["text"]
        assert "ISP Telkom (ID layanan 4700123456)" in prompt["text"]
        await b.restart()
        net.mend()
        back = await until(lambda: stub.find(ADB_ID, "menjawab lagi"), what="recovery")
        assert "#I1" in back["text"]
        await settled(b.settings.netmaint_db)
        heard = [t for t in stub.texts(ADB_ID) if "menjawab lagi" in t]
        assert len(heard) == 1 and stub.duplicates() == 0  # the all-clear once
