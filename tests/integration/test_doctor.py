"""``netmaint doctor`` as the operator runs it: a real process, a ``.env``, the Bot API
stand-in over HTTP, a real agent over HTTPS, a real SQLite file. Each fault gives its
sentence and exit status, never a traceback, never the token."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from bot.storage import Database
from checks.icmp import detect_mode
from tests.support.agent import (
    TOKEN,
    AgentProcess,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)
from tests.support.botapi_stub import BotApiStub
from tests.support.office import ADB_ID, JF_CHAT, KABID_CHAT

WRONG_TOKEN = "123456789:WRONG-token-that-telegram-refuses"
# Without ICMP rights the ping line is a warning; everything else is as the test sets up.
ALL_WELL = 0 if detect_mode().name != "unavailable" else 1


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    workdir = tmp_path_factory.mktemp("doctor-agent")
    ca_file, cert_file, key_file = write_tls_files(workdir / "tls", trustme.CA())
    port = free_port()
    running = start_agent(
        workdir,
        loopback_config(tls=(cert_file, key_file), service_port=port),
        port=port,
        ca_file=ca_file,
    )
    yield running
    running.stop()


class Office:
    """A set-up in a folder: ``.env``, ``netmaint.toml`` and the database."""

    def __init__(self, folder: Path, stub: BotApiStub, agent: AgentProcess) -> None:
        self.folder, self.stub = folder, stub
        self.db = folder / "data" / "netmaint.db"
        self.env = {
            "TELEGRAM_BOT_TOKEN": stub.token,
            "TELEGRAM_API_BASE_URL": stub.base_url,
            "ADB_USER_IDS": str(ADB_ID),
            "JF_ADB_CHAT_ID": str(JF_CHAT),
            "KABID_CHAT_ID": str(KABID_CHAT),
            "JF_ADB_USER_IDS": "9100",
            "KABID_USER_IDS": "9200",
            "NETMAINT_DB": str(self.db),
            "AGENT_TOKEN": TOKEN,
        }
        self.agent_url, self.ca_file = agent.url, agent.ca_file
        self.extra_toml = ""
        self.site_toml = ""
        self.env_mode = 0o600
        asyncio.run(self._create_db())

    async def _create_db(self) -> None:
        async with Database(self.db):
            pass

    def write(self) -> None:
        env_file = self.folder / ".env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in self.env.items()))
        env_file.chmod(self.env_mode)
        (self.folder / "netmaint.toml").write_text(
            f"""
[[sites]]
name = "Kantor Dinas"
agent_url = "{self.agent_url}"
agent_ca_file = "{self.ca_file}"
{self.site_toml}

[[vendors]]
name = "Telkom"
phone = "147"
"""
            + self.extra_toml
        )

    def doctor(self, *args: str) -> tuple[int, str]:
        self.write()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "NETMAINT_", "ADB_", "JF_ADB", "KABID_", "AGENT_"))
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", "doctor", *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        out = done.stdout + done.stderr
        assert "Traceback" not in out, out
        assert self.stub.token.split(":")[1] not in out and "WRONG-token" not in out, out
        assert TOKEN not in out, out
        return done.returncode, out


@pytest.fixture
def office(tmp_path: Path, stub: BotApiStub, agent: AgentProcess) -> Office:
    return Office(tmp_path, stub, agent)


def test_a_good_set_up_is_all_well(office: Office) -> None:
    code, out = office.doctor("--send-test")
    assert code == ALL_WELL, out
    assert "Token bot diterima Telegram" in out
    assert f"JF_ADB_CHAT_ID={JF_CHAT}" in out and "pesan uji terkirim" in out
    assert "Agen lokasi Kantor Dinas" in out and "menjawab" in out
    assert "utuh" in out and f"ADB {ADB_ID} sudah menekan Start" in out
    assert office.stub.find(KABID_CHAT, "Pesan uji dari netmaint doctor")
    code, out = office.doctor("--lang", "en")
    assert code == ALL_WELL and "Telegram accepts the bot token" in out, out


def test_a_wrong_token(office: Office) -> None:
    office.env["TELEGRAM_BOT_TOKEN"] = WRONG_TOKEN
    code, out = office.doctor()
    assert code == 2, out
    assert "Token bot ditolak Telegram" in out and "@BotFather" in out


def test_a_chat_the_bot_is_not_in(office: Office) -> None:
    office.stub.bot_status[KABID_CHAT] = "left"
    office.stub.unknown_chats.add(ADB_ID)
    code, out = office.doctor()
    assert code == 2, out
    assert f"KABID_CHAT_ID={KABID_CHAT}" in out and "bot bukan anggota grup ini" in out
    assert f"ADB {ADB_ID} belum dapat dihubungi bot" in out and "Start" in out


def test_an_agent_down(office: Office) -> None:
    office.agent_url = f"https://127.0.0.1:{free_port()}"
    code, out = office.doctor()
    assert code == 2, out
    assert "Agen lokasi Kantor Dinas" in out and "tidak menjawab" in out


def test_a_wrong_agent_token(office: Office) -> None:
    office.env["AGENT_TOKEN"] = "not-the-agents-token-" + "y" * 20
    code, out = office.doctor()
    assert code == 2 and "menolak token" in out and "AGENT_TOKEN" in out, out


def test_a_watched_name_the_sites_agent_lacks(office: Office) -> None:
    """[monitor] watches the Dinas's gateway; the site's agent has only "lokal"."""
    office.extra_toml = (
        '[[targets]]\nname = "gateway kantor"\nhost = "127.0.0.1"\n'
        '[monitor]\ntargets = ["gateway kantor"]\n'
    )
    code, out = office.doctor()
    assert code == 2, out
    assert 'Agen lokasi Kantor Dinas tidak punya target "gateway kantor"' in out
    assert "monitor_targets" in out
    office.site_toml = 'monitor_targets = ["lokal"]\n'  # the fix the sentence names
    code, out = office.doctor()
    assert "tidak punya target" not in out, out


def test_a_corrupt_database(office: Office) -> None:
    office.db.write_bytes(b"this is not SQLite" * 100)
    code, out = office.doctor()
    assert code == 2, out
    assert "rusak" in out and "cadangan" in out


def test_loose_roles_and_a_readable_env_are_warnings(office: Office) -> None:
    del office.env["JF_ADB_USER_IDS"]
    office.env_mode = 0o644
    code, out = office.doctor()
    assert code == 1, out
    assert "JF_ADB_USER_IDS kosong" in out and "chmod 600" in out


def test_a_configuration_that_cannot_be_read(office: Office) -> None:
    office.env["ADB_USER_IDS"] = "budi"
    code, out = office.doctor()
    assert code == 3, out
    assert "ADB_USER_IDS" in out
    office.env["ADB_USER_IDS"] = str(ADB_ID)
    office.write()
    (office.folder / "netmaint.toml").write_text("[[sites]]\nnmae = 'x'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NETMAINT_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=office.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stdout
    assert "nmae" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_check_telegram_did_not_answer_is_not_called_a_refusal(office: Office) -> None:
    """5xx or 429: doctor says it could not check, not that the bot is out of the group."""
    office.stub.fail_next("getChat", 502, "Bad Gateway")  # JF ADB's group
    office.stub.fail_next("getChat", 429, "Too Many Requests: retry after 5", parameters={})
    office.stub.fail_next("getChat", 503, "Service Unavailable")  # the ADB
    code, out = office.doctor()
    assert code == 2, out
    assert (
        f"JF_ADB_CHAT_ID={JF_CHAT}: tidak dapat diperiksa: Bot API sedang bermasalah (HTTP 502)"
        in out
    )
    assert f"KABID_CHAT_ID={KABID_CHAT}: tidak dapat diperiksa: Telegram meminta menunggu" in out
    assert f"ADB {ADB_ID}: tidak dapat diperiksa: Bot API sedang bermasalah (HTTP 503)" in out
    assert "bukan anggota" not in out and "tidak ditemukan" not in out
    assert "belum dapat dihubungi" not in out
    office.stub.fail_next("getChatMember", 500, "Internal Server Error")
    code, out = office.doctor()
    assert f"JF_ADB_CHAT_ID={JF_CHAT} («group {JF_CHAT}»): tidak dapat diperiksa" in out, out
    assert "bukan anggota" not in out
    office.stub.bot_status[KABID_CHAT] = "kicked"  # a real refusal still says so
    code, out = office.doctor()
    assert f"KABID_CHAT_ID={KABID_CHAT}" in out and "bot bukan anggota grup ini" in out, out


def test_a_bot_api_nobody_listens_on(office: Office) -> None:
    office.env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}/bot"
    code, out = office.doctor()
    assert code == 2, out
    assert "Server Telegram tidak dapat dihubungi: Bot API tidak terjangkau" in out
    assert "ditolak" not in out and "network" not in out and "Error" not in out
    office.env["TELEGRAM_API_BASE_URL"] = office.stub.base_url
    office.stub.fail_next("getMe", 429, "Too Many Requests: retry after 5", parameters={})
    code, out = office.doctor()
    assert code == 2 and "Telegram meminta menunggu" in out and "ditolak" not in out, out
