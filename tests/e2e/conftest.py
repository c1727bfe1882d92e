"""End-to-end fixtures: the real bot over real HTTP against the local Bot API stand-in.

The stand-in itself (``stub``) is a suite-wide fixture, in ``tests/conftest.py``.

Real SQLite file in tmp_path, real checks against loopback targets and a TCP
listener opened here. Only Telegram's servers are replaced
(tests/support/botapi_stub.py). All traffic stays on 127.0.0.0/8. Fixtures only:
what tests share besides fixtures is in ``tests/support/``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, running
from tests.support.office import FAST_CHECKS_TOML, SITES_TOML, make_settings


@pytest.fixture
async def tcp_port() -> AsyncIterator[int]:
    """A listening service on loopback for the services/software checks."""

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield port


@pytest.fixture
def config(tcp_port: int) -> OfficeConfig:
    return parse_config(
        FAST_CHECKS_TOML
        + SITES_TOML
        + f"""
[[targets]]
name = "server SIAK"
host = "127.0.0.2"

[[services]]
name = "SIAK web"
host = "127.0.0.1"
port = {tcp_port}
software = true

[[services]]
name = "SIAK listener"
host = "127.0.0.1"
port = {tcp_port}

[[vendors]]
name = "Telkom Indihome"
phone = "147"
contact = "Account manager: Budi"
""",
        "e2e.toml",
        model=OfficeConfig,
    )


@pytest.fixture
def settings(stub: BotApiStub, tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "netmaint.db", stub.token, stub.base_url)


@pytest.fixture
async def bot(settings: Settings, config: OfficeConfig) -> AsyncIterator[Bot]:
    async with running(Bot(settings, config)) as b:
        yield b
