"""Issue 19: the webhook listener is not held by idle or dribbling sockets.

The bot in webhook mode, its listener on loopback. The flood's sockets are held
by a child process, so this process (the bot's) can take an office server's
1,024-file limit while it lasts, as in the finding.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
from collections.abc import Iterator

import httpx
from pydantic import SecretStr

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, until
from tests.support.loopback import free_port, idle_connections
from tests.support.office import USER_ID

WEBHOOK_SECRET = "s3cret-webhook-limits-0123456789"
IDLE_SOCKETS = 1_100
OFFICE_FILE_LIMIT = 1_024


def _hooked(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "netmaint_webhook_url": "https://bot.example.invalid/telegram/hook",
            "netmaint_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "netmaint_webhook_listen": f"127.0.0.1:{port}",
        }
    )


def _lapor(update_id: int) -> dict[str, object]:
    user = {"id": USER_ID, "is_bot": False, "first_name": "Rina"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "text": "/lapor jaringan mati di Kantor Dinas",  # names its site: filed at once
            "from": user,
            "chat": {"id": USER_ID, "type": "private", "first_name": "Rina"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@contextlib.contextmanager
def file_limit(soft: int) -> Iterator[None]:
    """This process's open-file limit lowered to ``soft`` for a while."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, before[1]), before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (EOF or reset) within a generous while."""
    try:
        async with asyncio.timeout(30):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except OSError:
        pass
    return True


async def test_1100_idle_sockets_do_not_keep_telegrams_post_out(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    port = free_port()
    hooked = _hooked(settings, port)
    bot = Bot(hooked, config)
    await bot.start()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    try:
        with file_limit(OFFICE_FILE_LIMIT):
            async with idle_connections(port, IDLE_SOCKETS) as connected:
                assert connected > OFFICE_FILE_LIMIT  # more than the bot could ever hold
                async with httpx.AsyncClient(timeout=15) as client:
                    response = await client.post(
                        url,
                        json=_lapor(70),
                        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                    )
        assert response.status_code == 200
        await until(lambda: stub.find(USER_ID, "#K1 diterima"), what="the complaint's ack")
    finally:
        await bot.stop()


async def test_a_silent_or_dribbling_connection_is_closed(
    stub: BotApiStub, settings: Settings, config: OfficeConfig
) -> None:
    port = free_port()
    hooked = _hooked(settings, port)
    bot = Bot(hooked, config)
    await bot.start()
    try:
        silent_reader, silent = await asyncio.open_connection("127.0.0.1", port)
        dribble_reader, dribble = await asyncio.open_connection("127.0.0.1", port)
        dribble.write(b"POST /telegram/hook HTTP/1.1\r\nHost: bot\r\n")  # and never the rest
        closed = await asyncio.gather(
            _closed_by_server(silent_reader), _closed_by_server(dribble_reader)
        )
        silent.close()
        dribble.close()
        assert list(closed) == [True, True]
        async with httpx.AsyncClient(timeout=15) as client:  # and the listener still serves
            response = await client.post(
                f"http://127.0.0.1:{port}/telegram/hook",
                json=_lapor(71),
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
            )
        assert response.status_code == 200
    finally:
        await bot.stop()
