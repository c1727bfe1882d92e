"""Benchmark (issue 19): a webhook backlog of 3,000 and 9,000 updates, time per update.

Runs the real bot in process (``run_bot``) in webhook mode against the Bot API
stand-in, with a real SQLite file in a temporary directory, and POSTs N updates
to its webhook from 8 concurrent clients as fast as it takes them (Telegram
delivering what piled up while the server was away). The updates are chatter
in the JF ADB group from many members: stored, passed through the gates and
handled, answered by nothing, so the figure is the inbox's own cost. Prints,
for each N, the time until every update is handled, the time per update, and
the ratio of the per-update times (1.0 = linear; main: 29.2 s and 300.1 s,
3.4x per update).

    .venv/bin/python bench/bench_backlog.py [--sizes 3000 9000]

Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.settings.office import OfficeConfig  # noqa: E402
from bot.telegram.runtime import run_bot  # noqa: E402
from checks import redact  # noqa: E402
from checks.config import parse_config  # noqa: E402
from tests.support.botapi_stub import BotApiStub  # noqa: E402
from tests.support.e2e import FAST_OUTBOX  # noqa: E402
from tests.support.loopback import free_port  # noqa: E402
from tests.support.office import FAST_CHECKS_TOML, JF_CHAT, make_settings  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
CLIENTS = 8


def chatter(update_id: int) -> dict[str, Any]:
    member = 20_000 + update_id % 500
    user = {"id": member, "is_bot": False, "first_name": f"Anggota {member}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "text": f"rapat jam {update_id % 24}",
            "from": user,
            "chat": {"id": JF_CHAT, "type": "supergroup", "title": "JF ADB"},
        },
    }


def unhandled(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbox WHERE handled=0").fetchone()[0])


async def one_run(n: int, work: Path) -> tuple[float, float]:
    """(seconds until all N are handled, seconds until all N were accepted)."""
    config = parse_config(FAST_CHECKS_TOML, model=OfficeConfig)
    port = free_port()
    with BotApiStub() as stub:
        redact.install([stub.token])
        settings = make_settings(work / f"backlog-{n}.db", stub.token, stub.base_url)
        settings = settings.model_copy(
            update={
                "netmaint_webhook_url": "https://bot.example.invalid/hook",
                "netmaint_webhook_secret": SecretStr(SECRET),
                "netmaint_webhook_listen": f"127.0.0.1:{port}",
            }
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            run_bot(settings, config, stop, ready=ready, sender_options=FAST_OUTBOX)
        )
        await asyncio.wait_for(ready.wait(), 30)
        url = f"http://127.0.0.1:{port}/hook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ids = iter(range(1, n + 1))
        t0 = time.monotonic()

        async def client() -> None:
            async with httpx.AsyncClient(timeout=60) as http:
                for uid in ids:
                    r = await http.post(url, json=chatter(uid), headers=headers)
                    if r.status_code != 200:
                        raise RuntimeError(f"update {uid}: HTTP {r.status_code}")

        try:
            await asyncio.gather(*(client() for _ in range(CLIENTS)))
            accepted = time.monotonic() - t0
            while unhandled(settings.netmaint_db):
                await asyncio.sleep(0.05)
            handled = time.monotonic() - t0
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
    return handled, accepted


async def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="netmaint-backlog-") as tmp:
        per: dict[int, float] = {}
        for n in sizes:
            handled, accepted = await one_run(n, Path(tmp))
            per[n] = handled / n
            print(
                f"{n:>6} updates: all handled after {handled:6.1f} s (all accepted after"
                f" {accepted:5.1f} s), {per[n] * 1000:.2f} ms per update",
                flush=True,
            )
        first, last = sizes[0], sizes[-1]
        print(
            f"time per update at {last} / at {first}: {per[last] / per[first]:.2f}x"
            " (1.0 = linear; quadratic would be "
            f"{last / first:.1f}x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 9000])
    asyncio.run(main(parser.parse_args().sizes))
