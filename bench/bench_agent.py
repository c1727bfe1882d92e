"""Benchmark the agent: its resident memory, and a diagnosis over HTTPS vs in-process.

Starts the real ``netmaint agent`` on a loopback port with a trustme certificate,
runs the same full diagnosis (steps 2-6, loopback targets only) in this process
and through ``RemoteAgent``, and prints the figures and ratios against the goals
of issue 4: under 60 MB resident, and over HTTPS within 1.2x of in-process.

    .venv/bin/python bench/bench_agent.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.agents import RemoteAgent
from bot.config import Site
from checks.config import parse_config
from checks.runner import run_sop_checks
from tests.agent_support import (
    TOKEN,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)

RSS_GOAL_MB = 60.0
RATIO_GOAL = 1.2
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
    agent_codes = sorted({f.code for r in report.results for f in r.findings
                          if f.code.startswith("agent.")})
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
    for label, value in rows:
        print(f"{label + ':':28}{value}")
    return 0 if ratio <= RATIO_GOAL and rss_mb < RSS_GOAL_MB and not agent_codes else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    return asyncio.run(bench(parser.parse_args().runs))


if __name__ == "__main__":
    sys.exit(main())
