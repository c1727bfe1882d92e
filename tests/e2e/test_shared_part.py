"""One incident per broken part (issue 21), through the Bot API stand-in.

Three sites reach SIAK over their own LAN, the one shared VPN and the data center; each
part's check is a loopback port the test opens and closes (``Switch``). A break at the
VPN is one outage for every site behind it: reporters at three sites get their own
numbers and sites in one incident and one ADB prompt; monitoring opens one incident,
shows the other sites as "tidak terjangkau" and pages nobody for them; when the VPN
answers again the all-clear is said once to every reporter and each ADB chat, and a
site still down gets its own incident. A restart in the middle changes none of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.documents import pdf_text
from tests.support.e2e import Bot, rows, running, until, wait_decision
from tests.support.loopback import unanswered_port
from tests.support.monitor import Switch
from tests.support.office import ADB2_ID, ADB_ID, OTHER_ID, USER_ID

SITES = ("Kantor Dinas", "Kecamatan Koto XI Tarusan", "Kecamatan Bayang")
LANS = ("LAN Dinas", "LAN Tarusan", "LAN Bayang")
THIRD_ID = 7003
VPN_NAMED = "Titik gangguan: VPN SIAK (VPN)"
PLAIN_CHECKS = """
[[targets]]
name = "gateway"
host = "127.0.0.1"

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = {tcp_timeout}
"""


class Office:
    """The switches behind each part's check: every LAN, the VPN and the data center."""

    def __init__(self) -> None:
        self.lans = {lan: Switch() for lan in LANS}
        self.vpn, self.pusat = Switch(), Switch()

    async def on(self) -> None:
        for sw in (*self.lans.values(), self.vpn, self.pusat):
            await sw.on()

    async def off(self) -> None:
        for sw in (*self.lans.values(), self.vpn, self.pusat):
            await sw.off()

    def config(
        self,
        *,
        monitor: bool = False,
        down_after: int = 2,
        tcp_timeout: float = 0.5,
        slow_port: int | None = None,
    ) -> OfficeConfig:
        services = "".join(
            f'\n[[services]]\nname = "{lan}"\nhost = "127.0.0.1"\nport = {sw.port}\n'
            for lan, sw in self.lans.items()
        )
        services += f"""
[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {self.vpn.port}

[[services]]
name = "SIAK Terpusat"
host = "127.0.0.1"
port = {self.pusat.port}
"""
        if slow_port is not None:  # a port that never answers: the diagnosis takes a while
            services += f'\n[[services]]\nname = "e-KTP"\nhost = "127.0.0.1"\nport = {slow_port}\n'
        links = "".join(
            f'\n[[links]]\nname = "{lan}"\nkind = "lan"\ncheck = "{lan}"\n' for lan in LANS
        )
        links += """
[[vendors]]
name = "ISP Telkom"
phone = "147"

[[vendors]]
name = "Helpdesk SIAK Kemendagri"
phone = "021 000"

[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"
service_id = "4700123456"

[[links]]
name = "SIAK Terpusat"
kind = "pusat"
check = "SIAK Terpusat"
vendor = "Helpdesk SIAK Kemendagri"
"""
        sites = "".join(
            f'\n[[sites]]\nname = "{site}"\npath = ["{lan}", "VPN SIAK", "SIAK Terpusat"]\n'
            + (f'monitor_services = ["{lan}", "VPN SIAK", "SIAK Terpusat"]\n' if monitor else "")
            for site, lan in zip(SITES, LANS, strict=True)
        )
        watch = (
            f"\n[monitor]\ninterval_seconds = 0.05\ndown_after = {down_after}\nup_after = 1\n"
            'services = ["VPN SIAK"]\n'
            if monitor
            else ""
        )
        return parse_config(
            PLAIN_CHECKS.format(tcp_timeout=tcp_timeout) + services + links + sites + watch,
            "e2e-shared.toml",
            model=OfficeConfig,
        )


@pytest.fixture
async def office() -> AsyncIterator[Office]:
    o = Office()
    await o.on()
    yield o
    await o.off()


def acks(stub: BotApiStub, user_id: int) -> list[str]:
    return [t for t in stub.texts(user_id) if "diterima" in t]


async def report(stub: BotApiStub, user_id: int, name: str, site: str) -> None:
    """A reporter's one-line /lapor naming their site (no question asked)."""
    stub.send_text(stub.user(user_id, name), f"/lapor SIAK tidak bisa dibuka di {site}")


def prompts(stub: BotApiStub, chat: int, needle: str = VPN_NAMED) -> list[dict]:
    """The ADB's diagnosis messages with the Ya/Tidak buttons that name ``needle``."""
    return [m for m in stub.chat_messages(chat) if needle in m["text"] and stub.buttons(m)]


async def test_reporters_at_three_sites_behind_a_broken_vpn_are_one_incident(
    stub: BotApiStub, settings: Settings, office: Office
) -> None:
    await office.vpn.off()
    async with running(Bot(settings, office.config())):
        await report(stub, USER_ID, "Rina", SITES[0])
        first = await wait_decision(stub, "#K1")
        assert VPN_NAMED in first["text"]
        # The break is located: the other sites' reporters join the VPN's incident.
        await report(stub, OTHER_ID, "Budi", SITES[1])
        await report(stub, THIRD_ID, "Sari", SITES[2])
        for user_id, number, site in ((OTHER_ID, 2, SITES[1]), (THIRD_ID, 3, SITES[2])):
            ack = (await until(lambda u=user_id: acks(stub, u), what=f"#K{number}'s ack"))[0]
            assert f"#K{number}" in ack and f"Lokasi: {site}" in ack and "#I1" in ack
        prompt = await wait_decision(stub, "#I1", everything="#K3")
        assert VPN_NAMED in prompt["text"] and "#K2" in prompt["text"]
        assert rows(settings.netmaint_db, "SELECT id, part FROM incidents") == [(1, "VPN SIAK")]
        assert rows(settings.netmaint_db, "SELECT id, site, incident_id FROM complaints") == [
            (1, SITES[0], 1),
            (2, SITES[1], 1),
            (3, SITES[2], 1),
        ]
        for chat in (ADB_ID, ADB2_ID):  # one prompt in each ADB chat, naming the VPN
            assert len(prompts(stub, chat)) == 1
        # The VPN is back; Cek ulang finds every part answering: the incident is no
        # part's any more (a complaint elsewhere no longer joins it).
        await office.vpn.on()
        adb = stub.user(ADB_ID, "Andi ADB")
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["🔁 Cek ulang"])
        prompt = await wait_decision(stub, "#I1", round_=2)
        assert VPN_NAMED not in prompt["text"]
        assert rows(settings.netmaint_db, "SELECT part FROM incidents") == [(None,)]
        # Ya: every reporter hears it once, with their own number.
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["✅ Ya"])
        for user_id, number in ((USER_ID, 1), (OTHER_ID, 2), (THIRD_ID, 3)):
            done = f"Keluhan #K{number} selesai"
            await until(lambda u=user_id, d=done: stub.find(u, d), what=f"#K{number} closed")
            assert len([t for t in stub.texts(user_id) if "selesai" in t]) == 1
        # The Berita Acara of the one outage: the VPN, every site and complaint, both times.
        stub.send_text(adb, "/beritaacara 1")
        sent = await until(lambda: [d for d in stub.documents if d[0] == ADB_ID], 60, "the PDF")
        text = pdf_text(sent[0][2])
        assert "BERITA ACARA GANGGUAN JARINGAN" in text and "VPN SIAK" in text
        for number, site in enumerate(SITES, 1):
            assert f"#K{number}" in text and site in text
        assert "Mulai : " in text and "Selesai : " in text
        assert "Yang membuat, Mengetahui," in text


async def test_sites_that_complained_before_the_break_was_located_are_merged_into_one(
    stub: BotApiStub, settings: Settings, office: Office
) -> None:
    """Three complaints at once: each site's diagnosis finds the VPN; the first one
    located keeps the incident, the others are merged into it, and the ADB is asked once."""
    await office.vpn.off()
    with unanswered_port() as slow:
        config = office.config(tcp_timeout=1.5, slow_port=slow)
        async with running(Bot(settings, config)):
            for user_id, name, site in zip(
                (USER_ID, OTHER_ID, THIRD_ID), ("Rina", "Budi", "Sari"), SITES, strict=True
            ):
                await report(stub, user_id, name, site)
            for user_id in (USER_ID, OTHER_ID, THIRD_ID):
                await until(lambda u=user_id: acks(stub, u), what="every acknowledgement")
            db = settings.netmaint_db
            opened = rows(db, "SELECT COUNT(*) FROM incidents")
            assert opened == [(3,)], "the complaints came before any diagnosis ended"
            await until(
                lambda: rows(db, "SELECT COUNT(*) FROM incidents WHERE state='merged'") == [(2,)],
                20,
                "the other two merged",
            )
            kept = rows(db, "SELECT id, part FROM incidents WHERE state!='merged'")
            assert len(kept) == 1 and kept[0][1] == "VPN SIAK"
            keeper = kept[0][0]
            assert rows(db, "SELECT DISTINCT incident_id FROM complaints") == [(keeper,)]
            assert rows(db, "SELECT site FROM complaints ORDER BY id") == [(s,) for s in SITES]
            prompt = await wait_decision(stub, f"#I{keeper}", everything="#K3")
            assert all(f"#K{n}" in prompt["text"] for n in (1, 2, 3))
            for chat in (ADB_ID, ADB2_ID):
                assert len(prompts(stub, chat)) == 1
                merged = [t for t in stub.texts(chat) if f"Digabung ke gangguan #I{keeper}" in t]
                assert len(merged) == 2 and not any(VPN_NAMED in t for t in merged)


async def test_monitoring_behind_a_broken_vpn_pages_once_and_recovers_per_site(
    stub: BotApiStub, settings: Settings, office: Office
) -> None:
    db = settings.netmaint_db
    b = Bot(settings, office.config(monitor=True))
    async with running(b):
        adb = stub.user(ADB_ID, "Andi ADB")
        await office.vpn.off()
        first = await wait_decision(stub, "#K1")  # the monitor's own complaint
        assert "netmaint (pemantauan)" in first["text"] and VPN_NAMED in first["text"]
        # Every site is seen down, and still one incident.
        await until(
            lambda: rows(db, "SELECT COUNT(*) FROM monitor_sites WHERE down=1") == [(3,)],
            what="every site seen down",
        )
        assert rows(db, "SELECT id, site, part FROM incidents") == [(1, SITES[0], "VPN SIAK")]
        # A reporter behind the VPN joins it, with their own site and number.
        await report(stub, THIRD_ID, "Sari", SITES[2])
        ack = (await until(lambda: acks(stub, THIRD_ID), what="the reporter's ack"))[0]
        assert "#K2" in ack and f"Lokasi: {SITES[2]}" in ack and "#I1" in ack
        stub.send_text(adb, "/status")
        board = await until(lambda: stub.find(ADB_ID, "Status jaringan"), what="/status")
        for site in SITES[1:]:
            assert f"{site}: tidak terjangkau: gangguan di VPN SIAK (#I1)" in board["text"]
        # A restart while the VPN is down: nothing new, nothing lost.
        await b.restart()
        mark = rows(db, "SELECT MAX(checked_at) FROM monitor_watch")[0][0]
        await until(
            lambda: (
                rows(db, "SELECT COUNT(DISTINCT site) FROM monitor_watch WHERE checked_at>?", mark)
                == [(3,)]
            ),
            what="every site looked at again after the restart",
        )
        assert rows(db, "SELECT COUNT(*) FROM incidents") == [(1,)]
        # Tarusan's own LAN breaks too while it is behind the VPN: still quiet.
        await office.lans["LAN Tarusan"].off()
        await until(
            lambda: (
                rows(
                    db,
                    "SELECT up FROM monitor_watch WHERE site=? AND name='LAN Tarusan'",
                    SITES[1],
                )
                == [(0,)]
            ),
            what="Tarusan's LAN seen down",
        )
        assert rows(db, "SELECT COUNT(*) FROM incidents") == [(1,)]
        # The VPN answers again: the all-clear once; Tarusan, still down, gets its own.
        await office.vpn.on()
        own = await wait_decision(stub, "#K3")
        assert "Titik gangguan: LAN Tarusan" in own["text"]
        assert rows(db, "SELECT id, site, part FROM incidents ORDER BY id") == [
            (1, SITES[0], "VPN SIAK"),
            (2, SITES[1], "LAN Tarusan"),
        ]
        for chat in (ADB_ID, ADB2_ID):
            back = [t for t in stub.texts(chat) if "menjawab lagi" in t]
            assert len(back) == 1 and "VPN SIAK menjawab lagi — #I1" in back[0]
        heard = [t for t in stub.texts(THIRD_ID) if "terpantau pulih" in t]
        assert heard == [heard[0]] and "#K2: VPN SIAK terpantau pulih" in heard[0]
        stub.send_text(adb, "/status")
        await until(
            lambda: (
                (s := stub.find(ADB_ID, "Status jaringan"))
                and f"{SITES[1]}: terganggu (LAN Tarusan)" in s["text"]
                and f"{SITES[2]}: normal" in s["text"]
            ),
            what="/status after the VPN is back",
        )


async def test_a_vpn_a_complaint_located_hears_its_all_clear_once_when_monitoring_sees_it_back(
    stub: BotApiStub, settings: Settings, office: Office
) -> None:
    """No site's own outage was reported by monitoring (it is slow to call a site down):
    the complaint's incident hears the all-clear from the part itself, once."""
    db = settings.netmaint_db
    await office.vpn.off()
    async with running(Bot(settings, office.config(monitor=True, down_after=60))):
        await report(stub, USER_ID, "Rina", SITES[0])
        prompt = await wait_decision(stub, "#K1")
        assert VPN_NAMED in prompt["text"]
        await until(
            lambda: rows(db, "SELECT COUNT(*) FROM monitor_sites WHERE down=1") == [(3,)],
            10,
            "every site seen down",
        )
        assert rows(db, "SELECT id, part, found_by FROM incidents") == [(1, "VPN SIAK", None)]
        await office.vpn.on()
        await until(
            lambda: rows(db, "SELECT COUNT(*) FROM monitor_sites WHERE down=0") == [(3,)],
            what="every site seen up",
        )
        mark = rows(db, "SELECT MAX(checked_at) FROM monitor_watch")[0][0]
        await until(
            lambda: rows(db, "SELECT MIN(checked_at) FROM monitor_watch")[0][0] > mark,
            what="another look at every site",
        )
        for chat in (ADB_ID, ADB2_ID):
            await until(lambda c=chat: stub.find(c, "menjawab lagi"), what="the ADB's all-clear")
            back = [t for t in stub.texts(chat) if "menjawab lagi" in t]
            assert len(back) == 1 and "VPN SIAK menjawab lagi — #I1" in back[0]
        await until(lambda: stub.find(USER_ID, "terpantau pulih"), what="the reporter's")
        assert len([t for t in stub.texts(USER_ID) if "terpantau pulih" in t]) == 1
        assert rows(db, "SELECT COUNT(*) FROM incidents") == [(1,)]
