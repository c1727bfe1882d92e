"""Benchmark monitoring (issue 11): what watching 200 targets every 30 s costs the bot.

A real database in a temporary folder and the real monitoring loop, checking in this
process (``LocalAgent``) 100 ping targets (127.0.1.1-100, loopback: they answer) and
100 TCP services (loopback listeners opened here), all up. It measures the process's
CPU time and resident memory across ``--seconds`` of monitoring after one warm-up look,
and prints them with psutil against the goals: under 2% of one core, under 5 MB of
extra memory. Nothing is asserted; all traffic stays on 127.0.0.0/8.

    .venv/bin/python bench/bench_monitor.py [--seconds 120] [--interval 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.agents import agent_lookup
from bot.services import build_services
from bot.settings.office import OfficeConfig
from bot.storage import Database
from checks.config import parse_config
from tests.support.office import make_settings

PINGS, PORTS = 100, 100


def config(ports: list[int], interval: float) -> OfficeConfig:
    parts = [f'[[targets]]\nname = "t{i}"\nhost = "127.0.1.{i}"\n' for i in range(1, PINGS + 1)]
    parts += [
        f'[[services]]\nname = "s{i}"\nhost = "127.0.0.1"\nport = {p}\n'
        for i, p in enumerate(ports)
    ]
    targets = ", ".join(f'"t{i}"' for i in range(1, PINGS + 1))
    services = ", ".join(f'"s{i}"' for i in range(len(ports)))
    parts.append(f"""
[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 1.0
tcp_timeout_s = 1.0

[monitor]
interval_seconds = {interval}
targets = [{targets}]
services = [{services}]
""")
    return parse_config("\n".join(parts), "bench.toml", model=OfficeConfig)


async def main(seconds: float, interval: float) -> None:
    async def accept(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.close()

    servers = [await asyncio.start_server(accept, "127.0.0.1", 0) for _ in range(PORTS)]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    cfg = config(ports, interval)
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        async with Database(path) as db:
            services = build_services(make_settings(path), cfg, db, agent_for=agent_lookup(cfg, {}))
            loop = services.monitoring.loop
            assert loop is not None
            t0 = time.perf_counter()
            await loop.tick()  # warm-up: imports, first rows, the ping socket
            first = time.perf_counter() - t0
            gc.collect()
            rss0, cpu0 = proc.memory_info().rss, proc.cpu_times()
            wall0 = time.perf_counter()
            stop = asyncio.Event()
            task = asyncio.create_task(loop.run(stop))
            await asyncio.sleep(seconds)
            stop.set()
            await task
            wall = time.perf_counter() - wall0
            cpu1, rss1 = proc.cpu_times(), proc.memory_info().rss
            watches = await db.reads.monitor.all_watches()
            up = sum(1 for w in watches if w.up)
            looks = max(w.goods for w in watches)
            await services.diagnoses.stop()
    for s in servers:
        s.close()
    used = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    share = 100 * used / wall
    grown = (rss1 - rss0) / 2**20
    print(
        f"watched: {PINGS} ping targets + {PORTS} TCP services, every {interval:g} s, "
        f"{wall:.0f} s measured; {up}/{len(watches)} up"
    )
    print(f"one look at all 200: {first * 1000:.0f} ms (warm-up, wall clock)")
    print(f"CPU: {used:.2f} s in {wall:.0f} s = {share:.2f}% of one core (goal < 2%)")
    print(
        f"memory: resident {rss0 / 2**20:.1f} MB -> {rss1 / 2**20:.1f} MB, "
        f"{grown:+.2f} MB (goal < 5 MB); runs capped at {looks}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--interval", type=float, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.seconds, args.interval))
