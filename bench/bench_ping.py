"""Benchmark: netmaint's ping step against fping on the same lists, in one run.

Everything runs inside network namespaces this script creates and removes
(root needed): 127.0.0.0/8 answers, 198.51.100.0/24 hosts are silent. No
packet leaves the machine. Prints medians of several runs, the ratios to
fping and the ICMP privilege mode of each row.

    sudo .venv/bin/python bench/bench_ping.py [--runs 5]

fping comes from the Debian package (``apt-get install -y fping``); without
it the fping rows are skipped and the ratios cannot be computed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.netns import netns, netns_unavailable, silent_hosts  # noqa: E402

GOALS = {"silent": 1.1, "echo3": 1.3}  # the ping step, in process, vs fping (issue 2)
OPEN_RANGE, CLOSED_RANGE = "0 2147483647", "1 0"


def loopback(n: int) -> list[str]:
    return [f"127.0.{i // 250}.{i % 250 + 1}" for i in range(n)]


# ---- worker: runs inside the namespace, times the sweep inside the process ----


async def _worker(opts: dict[str, Any]) -> dict[str, Any]:
    from checks.icmp import detect_mode, sweep

    mode = detect_mode()
    times, alive, received = [], [], []
    for _ in range(opts["runs"]):
        t0 = time.perf_counter()
        if opts.get("icmplib_concurrency"):
            from icmplib import async_multiping

            hosts = await async_multiping(
                opts["addresses"],
                count=opts["count"],
                interval=opts["interval"],
                timeout=opts["timeout_s"],
                concurrent_tasks=opts["icmplib_concurrency"],
                privileged=mode.privileged,
            )
            times.append(time.perf_counter() - t0)
            alive.append(sum(h.is_alive for h in hosts))
            received.append(sum(h.packets_received for h in hosts))
            continue
        stats = await sweep(
            opts["addresses"],
            count=opts["count"],
            interval=opts["interval"],
            timeout_s=opts["timeout_s"],
            privileged=mode.privileged,
        )
        times.append(time.perf_counter() - t0)
        alive.append(sum(s.alive for s in stats.values()))
        received.append(sum(s.received for s in stats.values()))
    return {"mode": mode.name, "times": times, "alive": alive, "received": received}


# ---- driver ----


def _in_ns(ns_name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns_name, *argv],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )


def run_netmaint(
    ns_name: str,
    addresses: list[str],
    count: int,
    interval: float,
    timeout_s: float,
    runs: int,
    icmplib_concurrency: int = 0,
) -> dict[str, Any]:
    opts = {
        "addresses": addresses,
        "count": count,
        "interval": interval,
        "timeout_s": timeout_s,
        "runs": runs,
        "icmplib_concurrency": icmplib_concurrency,
    }
    proc = _in_ns(ns_name, [sys.executable, __file__, "--worker", json.dumps(opts)])
    if proc.returncode:
        raise SystemExit(f"worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def run_fping(
    ns_name: str, addresses: list[str], count: int, interval: float, timeout_s: float, runs: int
) -> dict[str, Any] | None:
    if shutil.which("fping") is None:
        return None
    argv = [
        "fping",
        "-q",
        "-i0",
        "-r0",
        f"-t{int(timeout_s * 1000)}",
        f"-c{count}",
        f"-p{int(interval * 1000)}",
        *addresses,
    ]
    times, alive = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = _in_ns(ns_name, argv)
        times.append(time.perf_counter() - t0)
        # fping -q -c prints "host : xmt/rcv/%loss = 3/3/0%, ..." per host on stderr
        alive.append(
            sum(
                1
                for line in proc.stderr.splitlines()
                if "xmt/rcv" in line and "/0/" not in line.split("=")[1][:10]
            )
        )
    return {"times": times, "alive": alive}


def run_diagnose(ns_name: str, n: int, runs: int, tmp: Path) -> dict[str, Any]:
    cfg = tmp / "bench-netmaint.toml"
    cfg.write_text(
        "".join(f'[[targets]]\nname = "t{i}"\nhost = "{h}"\n' for i, h in enumerate(loopback(n))),
        encoding="utf-8",
    )
    times, codes = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = _in_ns(
            ns_name, [sys.executable, "-m", "bot.cli.diagnose", "--json", "--config", str(cfg)]
        )
        times.append(time.perf_counter() - t0)
        codes.append(proc.returncode)
    return {"times": times, "codes": codes}


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-icmplib", action="store_true", help="skip the icmplib async_multiping reference rows"
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(args.worker)))))
        return 0
    reason = netns_unavailable()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    if shutil.which("fping") is None:
        print("fping not found: apt-get install -y fping (fping rows skipped)", file=sys.stderr)

    silent = silent_hosts(100, start=2)
    cases = [
        # name, addresses, count, interval, timeout
        ("silent", "100 silent hosts, 1 echo, 1 s timeout", silent, 1, 0.2, 1.0),
        ("echo3", "254 loopback hosts x 3 echoes 200 ms apart", loopback(254), 3, 0.2, 1.0),
        ("echo1", "254 loopback hosts x 1 echo", loopback(254), 1, 0.2, 1.0),
    ]
    rows: list[tuple[str, ...]] = []
    verdicts: list[str] = []
    with netns(silent=silent) as ns:
        for rng in (OPEN_RANGE, CLOSED_RANGE):
            ns.sysctl("net.ipv4.ping_group_range", rng)
            for key, label, addrs, count, interval, timeout_s in cases:
                fp = run_fping(ns.name, addrs, count, interval, timeout_s, args.runs)
                nm = run_netmaint(ns.name, addrs, count, interval, timeout_s, args.runs)
                fmed = med(fp["times"]) if fp else None
                ratio = med(nm["times"]) / fmed if fmed else None
                rows.append(
                    (
                        label,
                        f"netmaint ({nm['mode']})",
                        f"{med(nm['times']) * 1000:.0f}",
                        f"{ratio:.2f}" if ratio else "-",
                        str(min(nm["alive"])),
                        str(min(nm["received"])),
                    )
                )
                if fp and rng == OPEN_RANGE:
                    rows.append(
                        (
                            label,
                            "fping -i0 (process)",
                            f"{fmed * 1000:.0f}",
                            "1.00",
                            str(min(fp["alive"])),
                            "-",
                        )
                    )
                if ratio and key in GOALS:
                    ok = "meets" if ratio <= GOALS[key] else "MISSES"
                    verdicts.append(
                        f"{label} [{nm['mode']}]: {ratio:.2f}x fping, goal <= {GOALS[key]}x: {ok}"
                    )
                if not args.no_icmplib and key != "echo1":
                    for conc in (50, len(addrs)):
                        ic = run_netmaint(
                            ns.name,
                            addrs,
                            count,
                            interval,
                            timeout_s,
                            args.runs,
                            icmplib_concurrency=conc,
                        )
                        r = med(ic["times"]) / fmed if fmed else None
                        rows.append(
                            (
                                label,
                                f"icmplib multiping c={conc} ({ic['mode']})",
                                f"{med(ic['times']) * 1000:.0f}",
                                f"{r:.2f}" if r else "-",
                                str(max(ic["alive"])),
                                str(min(ic["received"])),
                            )
                        )
        ns.sysctl("net.ipv4.ping_group_range", OPEN_RANGE)
        diag = run_diagnose(ns.name, 254, args.runs, Path("/tmp"))
    head = ("list", "what", "median ms", "x fping", "alive", "replies")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    d = med(diag["times"])
    print(
        f"\nwhole `netmaint diagnose` process, 254 loopback targets (3 echoes, 1 s timeout): "
        f"median {d * 1000:.0f} ms = {d / 1.0:.2f}x one probe timeout (goal <= 1.5x: "
        f"{'meets' if d <= 1.5 else 'MISSES'}); exit codes {sorted(set(diag['codes']))}"
    )
    for v in verdicts:
        print(v)
    print(
        "\n'alive' is the fewest alive over the runs for netmaint and fping, the most for "
        "icmplib (it must be 0 on the silent list; more means replies were miscounted)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
