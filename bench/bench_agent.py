"""Benchmark the agent: its resident memory, a diagnosis over HTTPS vs in-process, an attack.

Starts the real ``netmaint agent`` on a loopback port with a trustme certificate,
runs the same full diagnosis (steps 2-6, loopback targets only) in this process
and through ``RemoteAgent``, and prints the figures and ratios against the goals
of issue 4: under 60 MB resident, and over HTTPS within 1.2x of in-process.
Then issue 14's attack on an agent with ``allow = ["127.0.0.1"]``: 200 idle
connections from 127.0.0.2 and 50 slow TLS request heads from 127.0.0.1 while
the bot diagnoses without retrying, and a burst of 150 authorised diagnoses.

    .venv/bin/python bench/bench_agent.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.agents import RemoteAgent
from bot.settings.office import Site
from checks.config import parse_config
from checks.models import Report
from checks.runner import run_sop_checks
from tests.support.agent import (
    TOKEN,
    AttackTally,
    free_port,
    idle_stranger,
    loopback_config,
    slow_header,
    start_agent,
    write_tls_files,
)

RSS_GOAL_MB = 60.0
RATIO_GOAL = 1.2
STRANGERS, SLOW_CLIENTS, ATTACK_DIAGNOSES, BURST = 200, 50, 12, 150
HEADER_TIMEOUT_S = 5  # the default
BARE_COMMAND = (sys.executable, "-m", "checks.agent.cli")


async def _timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall time of ``runs`` calls after one warm-up call."""
    await fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return times


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def bench(runs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        workdir = Path(tmp)
        ca_file, cert, key = write_tls_files(workdir / "tls", trustme.CA())
        port = free_port()
        config_text = loopback_config(tls=(cert, key), service_port=port)
        config = parse_config(config_text)
        agent = start_agent(
            workdir / "netmaint", config_text, port=port, ca_file=ca_file, log_level="warning"
        )
        try:
            site = Site(name="bench", agent_url=agent.url, agent_ca_file=ca_file)
            remote = RemoteAgent(site, TOKEN)
            idle_mb = _rss_mb(agent.proc.pid)
            local_times = await _timed(lambda: run_sop_checks(config), runs)
            remote_times = await _timed(remote.diagnose, runs)
            report = await remote.diagnose()
            rss_mb = _rss_mb(agent.proc.pid)
        finally:
            agent.stop()
        # the same agent code without the CLI's sibling subcommands: what they cost
        bare = start_agent(
            workdir / "bare", config_text, port=port, ca_file=ca_file, log_level="warning",
            command=BARE_COMMAND,
        )  # fmt: skip
        try:
            bare_remote = RemoteAgent(
                Site(name="bench", agent_url=bare.url, agent_ca_file=ca_file), TOKEN
            )
            await _timed(bare_remote.diagnose, 2)
            bare_mb = _rss_mb(bare.proc.pid)
        finally:
            bare.stop()

    local, remote_s = statistics.median(local_times), statistics.median(remote_times)
    ratio = remote_s / local
    agent_codes = sorted(
        {f.code for r in report.results for f in r.findings if f.code.startswith("agent.")}
    )
    met = {True: "MET", False: "MISSED"}
    ms = {name: (statistics.median(t) * 1000, min(t) * 1000) for name, t in
          (("local", local_times), ("remote", remote_times))}  # fmt: skip
    rows = [
        ("runs per mode", f"{runs} (+1 warm-up); full diagnosis, steps 2-6, loopback"),
        ("in-process median", f"{ms['local'][0]:8.1f} ms  (min {ms['local'][1]:.1f})"),
        ("over HTTPS median", f"{ms['remote'][0]:8.1f} ms  (min {ms['remote'][1]:.1f})"),
        ("HTTPS overhead", f"{(remote_s - local) * 1000:8.1f} ms per diagnosis"),
        ("ratio HTTPS / in-process",
         f"{ratio:8.3f}   goal <= {RATIO_GOAL}  {met[ratio <= RATIO_GOAL]}"),
        ("RSS `netmaint agent` idle", f"{idle_mb:8.1f} MB"),
        ("RSS `netmaint agent` after",
         f"{rss_mb:8.1f} MB   goal < {RSS_GOAL_MB:.0f} MB  {met[rss_mb < RSS_GOAL_MB]}"),
        ("RSS agent module alone", f"{bare_mb:8.1f} MB   (python -m checks.agent.cli, same code)"),
        ("RSS ratio CLI / alone", f"{rss_mb / bare_mb:8.2f}"),
        ("agent.* findings", str(agent_codes or "none (the agent answered every time)")),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-agent-attack-") as tmp:
        attack_rows, attack_met = await attack(Path(tmp))
    for label, value in rows + attack_rows:
        print(f"{label + ':':28}{value}")
    met_all = ratio <= RATIO_GOAL and rss_mb < RSS_GOAL_MB and not agent_codes
    return 0 if met_all and attack_met else 1


def _real(report: Report) -> bool:
    codes = {f.code for r in report.results for f in r.findings}
    return len(report.results) == 5 and not any(c.startswith("agent.") for c in codes)


async def attack(workdir: Path) -> tuple[list[tuple[str, str]], bool]:
    """Issue 14's attack against an agent that allows 127.0.0.1 only; rows and whether met."""
    ca_file, cert, key = write_tls_files(workdir / "tls", trustme.CA())
    port = free_port()
    config_text = loopback_config(allow=("127.0.0.1",), tls=(cert, key), service_port=port)
    agent = start_agent(
        workdir / "netmaint", config_text, port=port, ca_file=ca_file, log_level="warning"
    )
    site = Site(name="bench", agent_url=agent.url, agent_ca_file=ca_file)
    bot = RemoteAgent(site, TOKEN, attempts=1)
    tally, stop = AttackTally(), asyncio.Event()
    client_tls = ssl.create_default_context(cafile=str(ca_file))
    try:
        strangers = [asyncio.create_task(idle_stranger("127.0.0.1", port, tally, stop))
                     for _ in range(STRANGERS)]  # fmt: skip
        slow = [asyncio.create_task(slow_header("127.0.0.1", port, tally, client_tls,
                                                give_up_s=HEADER_TIMEOUT_S * 3))
                for _ in range(SLOW_CLIENTS)]  # fmt: skip
        while tally.slow_connected < SLOW_CLIENTS or tally.outside_connects < STRANGERS:
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        during = await asyncio.gather(*(bot.diagnose() for _ in range(ATTACK_DIAGNOSES)))
        during_s = time.perf_counter() - t0
        slow_open = tally.slow_open_now
        await asyncio.gather(*slow)
        stop.set()
        await asyncio.gather(*strangers)
        t0 = time.perf_counter()
        logging.getLogger("bot.agents").setLevel(logging.ERROR)  # 100-odd "busy" lines
        burst = await asyncio.gather(*(bot.diagnose() for _ in range(BURST)))
        burst_s = time.perf_counter() - t0
    finally:
        agent.stop()
    served = sum(_real(r) for r in during)
    burst_served = sum(_real(r) for r in burst)
    burst_codes = sorted({f.code for r in burst if not _real(r) for x in r.results
                          for f in x.findings if f.code.startswith("agent.")})  # fmt: skip
    out_ms = sorted(t * 1000 for t in tally.outside_closed_s)
    slow_s = sorted(tally.slow_closed_s)
    rows = [
        ("attack", f"{STRANGERS} idle from 127.0.0.2 (outside allow), {SLOW_CLIENTS} slow "
                   "TLS heads from 127.0.0.1, 1 byte / 0.5 s"),
        ("bot diagnoses during it", f"{served} served, {ATTACK_DIAGNOSES - served} failed "
                                    f"(no retry; {during_s:.2f} s for all, "
                                    f"{slow_open}/{SLOW_CLIENTS} slow heads open meanwhile)"),
        ("strangers closed", f"{len(out_ms)} of {tally.outside_connects} connects, "
                             f"{tally.outside_still_open} left open; median "
                             f"{statistics.median(out_ms):.1f} ms, max {out_ms[-1]:.1f} ms "
                             "after connect"),
        ("slow heads closed", f"{len(slow_s)} of {SLOW_CLIENTS}, {tally.slow_still_open} left "
                              f"open; {slow_s[0]:.2f}-{slow_s[-1]:.2f} s after connect "
                              f"(header_timeout_s = {HEADER_TIMEOUT_S})"),
        ("bytes sent to attackers", str(tally.bytes_received)),
        (f"burst of {BURST} diagnoses", f"{burst_served} served, {BURST - burst_served} failed "
                                        f"{burst_codes or ''} in {burst_s:.1f} s (no retry; "
                                        "max_concurrent 4, queue_wait_s 5)"),
    ]  # fmt: skip
    met = (
        served == ATTACK_DIAGNOSES
        and tally.outside_still_open == 0
        and tally.slow_still_open == 0
        and tally.bytes_received == 0
    )
    return rows, met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    return asyncio.run(bench(parser.parse_args().runs))


if __name__ == "__main__":
    sys.exit(main())
