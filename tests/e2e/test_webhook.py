"""Webhook mode: an update is committed before Telegram gets its 200; forged calls store nothing."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, db_row, until
from tests.support.loopback import free_port
from tests.support.office import USER_ID

SECRET = "s3cret-webhook-token-0123456789"


def _update(update_id: int, text: str) -> dict:
    user = {"id": USER_ID, "is_bot": False, "first_name": "Rina"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": text,
            "from": user,
            "chat": {"id": USER_ID, "type": "private", "first_name": "Rina"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_stores_then_answers_and_refuses_forgeries(
    stub: BotApiStub, settings, config
) -> None:
    port = free_port()
    hooked = settings.model_copy(
        update={
            "netmaint_webhook_url": "https://bot.example.invalid/telegram/hook",
            "netmaint_webhook_secret": SecretStr(SECRET),
            "netmaint_webhook_listen": f"127.0.0.1:{port}",
        }
    )
    bot = Bot(hooked, config)
    await bot.start()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    try:
        [call] = stub.calls_to("setWebhook")
        assert call.params["url"] == "https://bot.example.invalid/telegram/hook"
        assert call.params["secret_token"] == SECRET
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                url,
                json=_update(50, "/lapor palsu"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert forged.status_code == 403
            for _ in range(2):  # Telegram retries when unsure: still one complaint
                ok = await client.post(
                    url,
                    json=_update(51, "/lapor jaringan Kantor Dinas mati"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert ok.status_code == 200
                stored = db_row(hooked.netmaint_db, "SELECT COUNT(*) FROM inbox WHERE update_id=51")
                assert stored == (1,), "committed before the 200"
            junk = await client.post(
                url, content=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert junk.status_code == 400
        await until(lambda: stub.find(USER_ID, "#K1 diterima"), what="ack")
        assert db_row(hooked.netmaint_db, "SELECT COUNT(*) FROM complaints") == (1,)
        assert db_row(hooked.netmaint_db, "SELECT COUNT(*) FROM inbox WHERE update_id=50") == (0,)
        assert stub.calls_to("getUpdates") == [], "no polling in webhook mode"
    finally:
        await bot.stop()
