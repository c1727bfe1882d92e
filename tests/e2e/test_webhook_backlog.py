"""The webhook's work per update does not grow with the backlog of unhandled updates.

On main the worker read every unhandled update (all their JSON) to find the one it was
handed, so a backlog of N took N^2 reads (bench/bench_backlog.py: 9,000 updates 365.6 s
against 87.0 s now). Counted here without a clock: SQLite's own instruction count on
the bot's read connection (a progress handler), while 20 updates are handled with 0 and
then with 3,000 other updates waiting unhandled in the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.agents import agent_lookup
from bot.services import build_services
from bot.settings.office import OfficeConfig
from bot.storage import Database
from bot.telegram.app import build_application
from bot.telegram.webhook import webhook_loop
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import rows, until
from tests.support.loopback import free_port
from tests.support.office import FAST_CHECKS_TOML, JF_CHAT, make_settings

SECRET = "webhook-backlog-test-secret-0123"  # module level: the secret audit reads it


def chatter(update_id: int) -> dict[str, object]:
    user = {"id": 30_000 + update_id % 50, "is_bot": False, "first_name": "Anggota"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "text": "rapat jam tiga",
            "from": user,
            "chat": {"id": JF_CHAT, "type": "supergroup", "title": "JF ADB"},
        },
    }


def waiting(path: Path, first: int, count: int) -> None:
    """``count`` updates stored and never handled (a backlog the worker is not handed)."""
    raw = '{"update_id": 0, "message": {"text": "' + "x" * 300 + '"}}'
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn, conn:
        conn.executemany(
            "INSERT INTO inbox (update_id, raw, received_at) VALUES (?, ?, '2026-01-01')",
            [(first + i, raw) for i in range(count)],
        )


async def test_webhook_work_per_update_does_not_grow_with_the_backlog(
    stub: BotApiStub, tmp_path: Path
) -> None:
    config = parse_config(FAST_CHECKS_TOML, model=OfficeConfig)
    port = free_port()
    settings = make_settings(tmp_path / "n.db", stub.token, stub.base_url).model_copy(
        update={
            "netmaint_webhook_url": "https://bot.example.invalid/hook",
            "netmaint_webhook_secret": SecretStr(SECRET),
            "netmaint_webhook_listen": f"127.0.0.1:{port}",
        }
    )
    steps = [0]

    def counted() -> int:
        steps[0] += 1
        return 0

    async with Database(settings.netmaint_db) as db:
        services = build_services(settings, config, db, agent_for=agent_lookup(config, {}))
        app = build_application(services)
        stop, ready = asyncio.Event(), asyncio.Event()
        async with app:
            serving = asyncio.create_task(webhook_loop(app, db, settings, stop, ready))
            try:
                await asyncio.wait_for(ready.wait(), 15)
                reader = db._reader  # the read connection: where the worker looks updates up
                assert reader is not None
                await reader.set_progress_handler(counted, 100)

                async def handle(first: int) -> int:
                    """SQLite's instructions (x100) on the read side for 20 updates."""
                    before = steps[0]
                    async with httpx.AsyncClient() as http:
                        for uid in range(first, first + 20):
                            r = await http.post(
                                f"http://127.0.0.1:{port}/hook",
                                json=chatter(uid),
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                            )
                            assert r.status_code == 200
                            await until(
                                lambda u=uid: (
                                    not rows(
                                        settings.netmaint_db,
                                        "SELECT 1 FROM inbox WHERE update_id=? AND handled=0",
                                        u,
                                    )
                                ),
                                what=f"update {uid} handled",
                            )
                    return steps[0] - before

                alone = await handle(1)
                waiting(settings.netmaint_db, 1_000_000, 3000)
                behind = await handle(100)
                # On main the 3,000 waiting rows were read for every one of the 20 updates.
                assert behind < 2 * alone + 200, (alone, behind)
            finally:
                stop.set()
                await asyncio.wait_for(serving, 15)
