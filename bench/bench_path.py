"""Benchmark (issue 21): a data-center outage seen from every kecamatan at once.

SIAK in the data center stops answering (its port hangs, as a dead server behind a
working VPN does). ``--sites`` sites share the VPN and the data center on their path;
``--reporters`` staff at each site file ``/lapor <text>`` (one line: their site is in
[[staff]]) within ``--within`` seconds, with the monitor watching SIAK at every site.
The real bot runs in process (``run_bot``) against the Bot API stand-in with
Telegram's limits enforced (429 past 1/s per chat, 20/min per group, 30/s overall),
the sender at the real limits, a real SQLite file in a temporary directory.

    .venv/bin/python bench/bench_path.py                       # 15 sites x 10 in 10 s
    .venv/bin/python bench/bench_path.py --sites 5 --reporters 4

Printed next to their goals (no asserts): incidents (1); prompts to the ADB (1,
complete within 10 s of the last complaint); calls to the ADB chat (<= 15); each
acknowledgement against 1.15x the floor that 30 messages/s sets (the time a sender
at exactly 30/s, taking the complaints as they came, would have delivered it);
429s (0); lost complaints (0); and the time from a complaint to the first message
naming the broken part (<= one probe timeout + 0.5 s).

Loopback only: the stand-in listens on 127.0.0.1, the checks probe 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_storm import (  # noqa: E402
    ACK,
    ADB,
    FIRST_USER,
    TAG,
    acks,
    fmt,
    mark,
    pct,
    prompts,
    settings,
    user,
)
from bot.delivery.sender import SenderOptions  # noqa: E402
from bot.settings.office import OfficeConfig  # noqa: E402
from bot.telegram.runtime import run_bot  # noqa: E402
from checks import redact  # noqa: E402
from checks.config import parse_config  # noqa: E402
from tests.support.botapi_stub import OUTBOX_METHODS, BotApiStub  # noqa: E402
from tests.support.loopback import unanswered_port  # noqa: E402

PROBE_TIMEOUT_S = 1.0  # tcp_timeout_s: how long a hanging SIAK is waited for
RATE = 30.0  # Telegram's overall limit, messages per second
PART = "Titik gangguan: SIAK Terpusat"


def site(i: int) -> str:
    return f"Kecamatan {i + 1}"


def config_toml(sites: int, reporters: int, vpn_port: int, siak_port: int) -> str:
    """Every site's path: its LAN, the shared VPN, the data center; staff at each site."""
    head = f"""
[[targets]]
name = "gateway"
host = "127.0.0.1"

[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {vpn_port}

[[services]]
name = "SIAK Terpusat"
host = "127.0.0.1"
port = {siak_port}

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = {PROBE_TIMEOUT_S}

[monitor]
interval_seconds = 2
down_after = 1
up_after = 1
services = ["SIAK Terpusat"]

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
    parts = [head]
    for s in range(sites):
        parts.append(
            f'\n[[links]]\nname = "LAN {s + 1}"\nkind = "lan"\ncheck = "gateway"\n'
            f'\n[[sites]]\nname = "{site(s)}"\n'
            f'path = ["LAN {s + 1}", "VPN SIAK", "SIAK Terpusat"]\n'
        )
        for r in range(reporters):
            i = s * reporters + r
            parts.append(
                f'\n[[staff]]\ntelegram_id = {FIRST_USER + i}\nname = "Staf {i}"\n'
                f'site = "{site(s)}"\n'
            )
    return "".join(parts)


@contextlib.asynccontextmanager
async def netmaint(stub: BotApiStub, config: OfficeConfig, db: Path) -> AsyncIterator[None]:
    """The real bot in this process, with Telegram's real limits in its sender."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(settings(stub, db), config, stop, ready=ready, sender_options=SenderOptions())
    )
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({waiter, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)


def floors(filed: list[float]) -> list[float]:
    """When a sender at exactly 30/s would deliver each acknowledgement, in filing order."""
    out: list[float] = []
    for t in sorted(filed):
        out.append(max(t, out[-1] if out else t) + 1.0 / RATE)
    return out


def first_naming(stub: BotApiStub) -> float | None:
    """When the stand-in first carried a message naming the broken part."""
    return next(
        (
            c.at
            for c in list(stub.calls)
            if c.method in OUTBOX_METHODS and c.carried_out and PART in str(c.params.get("text"))
        ),
        None,
    )


async def outage(sites: int, reporters: int, within: float, limit_s: float) -> dict[str, Any]:
    n = sites * reporters
    with (
        tempfile.TemporaryDirectory() as tmp,
        unanswered_port() as siak,
        BotApiStub(enforce_limits=True) as stub,
    ):
        vpn_server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        vpn = vpn_server.sockets[0].getsockname()[1]
        text = config_toml(sites, reporters, vpn, siak)
        config = parse_config(text, "bench.toml", model=OfficeConfig)
        db = Path(tmp) / "bench.db"
        async with vpn_server, netmaint(stub, config, db):
            filed: dict[int, float] = {}
            order = [s * reporters + r for r in range(reporters) for s in range(sites)]
            for i in order:  # the sites take turns, as a whole province would
                filed[FIRST_USER + i] = time.monotonic()
                stub.send_text(user(i), f"/lapor SIAK tidak bisa dibuka di {site(i // reporters)}")
                await asyncio.sleep(within / n)
            last = max(filed.values())
            prompted_at: dict[int, float] = {}
            deadline = last + limit_s
            while time.monotonic() < deadline:
                got = acks(stub)
                now = time.monotonic()
                for listed, _ in prompts(stub):
                    for t in listed:
                        prompted_at.setdefault(t, now)
                tags = {int(TAG.findall(t)[0]) for _, t in got.values()}
                if len(got) == n and tags <= set(prompted_at):
                    break
                await asyncio.sleep(0.05)
            got = acks(stub, ACK)
            tags = {int(TAG.findall(t)[0]) for _, t in got.values()}
            to_adb = [c for c in stub.calls if c.params.get("chat_id") == ADB]
            adb_calls = sum(1 for c in to_adb if c.method in OUTBOX_METHODS)
            limited = sum(stub.limited.values())
            named = first_naming(stub)
            n_prompts = len(prompts(stub))
            with contextlib.closing(sqlite3.connect(db)) as conn:
                # An outage is a live incident: one merged into another is part of it.
                incidents, merged = conn.execute(
                    "SELECT SUM(state != 'merged'), SUM(state = 'merged') FROM incidents"
                ).fetchone()
                stored = conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0]
    # Each acknowledgement against its floor, both from the first complaint.
    start = min(filed.values())
    floor = floors(list(filed.values()))
    ack_at = sorted(t for t, _ in got.values())
    ratios = [(a - start) / (f - start) for a, f in zip(ack_at, floor, strict=False)]
    latencies = [got[u][0] - filed[u] for u in got]
    everyone = tags and tags <= set(prompted_at)
    return {
        "n": n,
        "sites": sites,
        "incidents": incidents,
        "merged": merged,
        "prompts": n_prompts,
        "prompt_s": (max(prompted_at[t] for t in tags) - last) if everyone else None,
        "adb_calls": adb_calls,
        "ack_within": sum(1 for r in ratios if r <= 1.15),
        "ack_ratio_max": max(ratios) if ratios else float("nan"),
        "ack_late": [k + 1 for k, r in enumerate(ratios) if r > 1.15],
        "ack_p50": pct(latencies, 0.5),
        "ack_max": max(latencies) if latencies else float("nan"),
        "429s": limited,
        "lost": (n - len(got)) + len(tags - set(prompted_at)),
        "stored": stored,
        "named_s": (named - start) if named is not None else None,
    }


async def main_async(args: argparse.Namespace) -> None:
    n = args.sites * args.reporters
    print(
        f"netmaint path bench, {time.strftime('%Y-%m-%d')}: SIAK down behind the VPN, "
        f"{args.sites} sites x {args.reporters} reporters ({n}) within {args.within:g} s, "
        f"monitor on; stand-in enforces 1/s per chat, 20/min per group, 30/s"
    )
    r = await outage(args.sites, args.reporters, args.within, args.limit)
    goal_name = PROBE_TIMEOUT_S + 0.5
    rows = [
        (
            "incidents (outages; merged into them apart)",
            f"{r['incidents']} ({r['merged']} merged)",
            "1",
            r["incidents"] == 1,
        ),
        ("prompts to the ADB", str(r["prompts"]), "1", r["prompts"] == 1),
        (
            "all complaints in a prompt, after the last complaint",
            fmt(r["prompt_s"]),
            "<= 10 s",
            r["prompt_s"] is not None and r["prompt_s"] <= 10,
        ),
        ("calls to the ADB chat", str(r["adb_calls"]), "<= 15", r["adb_calls"] <= 15),
        (
            "acks within 1.15x of the 30/s floor",
            f"{r['ack_within']}/{r['n']} (worst {r['ack_ratio_max']:.2f}x; late: acks "
            f"{', '.join(map(str, r['ack_late'][:10])) or '-'} in order; "
            f"p50 {r['ack_p50']:.2f} s, max {r['ack_max']:.2f} s after filing)",
            f"{r['n']}/{r['n']}",
            r["ack_within"] == r["n"],
        ),
        ("429s", str(r["429s"]), "0", r["429s"] == 0),
        (
            "lost (unacknowledged or in no prompt)",
            f"{r['lost']} ({r['stored']} complaints stored, the monitor's included)",
            "0",
            r["lost"] == 0,
        ),
        (
            "broken part named, after the first complaint",
            fmt(r["named_s"]),
            f"<= {goal_name:g} s",
            r["named_s"] is not None and r["named_s"] <= goal_name,
        ),
    ]
    for what, got, goal, ok in rows:
        print(f"  {what}: {got} (goal {goal}: {mark(ok)})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sites", type=int, default=15)
    p.add_argument("--reporters", type=int, default=10, help="per site")
    p.add_argument("--within", type=float, default=10.0, help="seconds over which all file")
    p.add_argument("--limit", type=float, default=120.0, help="seconds to wait after the last")
    redact.install()
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
