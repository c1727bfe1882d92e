"""SOP step 4 (ping) against real ICMP: loopback answers, namespace hosts stay silent.

Each correctness trap of icmplib 3.0.4 named in issue 2 has a test here
that fails if the ping step lied about it.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from checks.config import CheckConfig, Target, Thresholds
from checks.icmp import detect_mode, sweep
from checks.models import Status
from checks.ping import check_ping
from tests.support import REPO
from tests.support.netns import NS_SWEEP, diagnose_in, netns, require_netns, silent_hosts

FAST = Thresholds(ping_count=2, ping_interval_s=0.05, ping_timeout_s=0.5)


def loopback(n: int) -> list[str]:
    """``n`` distinct addresses of 127.0.0.0/8, all of which answer ping on Linux."""
    return [f"127.0.{i // 250}.{i % 250 + 1}" for i in range(n)]


def require_raw() -> None:
    if not detect_mode().available:
        pytest.skip("no ICMP socket of any kind available to the test process")


def toml_targets(hosts: list[str], timeout_s: float = 0.5, count: int = 1) -> str:
    items = "".join(f'[[targets]]\nname = "t{i}"\nhost = "{h}"\n' for i, h in enumerate(hosts))
    return f"{items}[thresholds]\nping_count = {count}\nping_timeout_s = {timeout_s}\n"


async def test_loopback_targets_answer_and_mode_is_reported() -> None:
    require_raw()
    cfg = CheckConfig(
        targets=(
            Target(name="a", host="127.0.0.1"),
            Target(name="b", host="127.0.0.2"),
            Target(name="v6", host="::1"),
        ),
        thresholds=FAST,
    )
    result = await check_ping(cfg)
    assert result.status == Status.OK, result
    assert result.details["mode"] in ("unprivileged", "privileged")
    assert result.details["mode"] == detect_mode().name
    assert result.details["rtt_timestamps"] == "kernel"
    precision = result.details["rtt_precision_ms"]
    rows = result.details["targets"]
    assert [r["received"] for r in rows] == [2, 2, 2]
    assert all(0 <= r["min_ms"] <= r["avg_ms"] <= r["max_ms"] for r in rows)
    # loopback answers in microseconds: the reported bound must cover what was reported
    assert all(r["max_ms"] <= 0.5 + r["precision_ms"] <= 0.5 + precision for r in rows)


async def test_privileged_254_hosts_3_echoes_lose_nothing() -> None:
    """Trap: one raw socket per host overflows; all 762 replies must be counted."""
    if not detect_mode().privileged and os.geteuid() != 0:
        pytest.skip("raw ICMP sockets need root or CAP_NET_RAW")
    hosts = loopback(254)
    stats = await sweep(hosts, count=3, interval=0.2, timeout_s=1.0, privileged=True)
    assert sum(s.received for s in stats.values()) == 254 * 3
    assert all(s.loss_pct == 0 for s in stats.values())


async def test_rtt_is_not_inflated_by_a_busy_process() -> None:
    """Trap: RTTs timed in Python include loop and GIL delay; loopback's real RTT is microseconds.

    A thread spins holding the GIL for 20 ms slices, so every reply waits in the
    socket buffer before Python can read it, as under a busy bot.
    """
    require_raw()
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.02)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        stats = await sweep(
            loopback(50), count=3, interval=0.05, timeout_s=2.0, privileged=detect_mode().privileged
        )
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(old)
    rtts = [r for s in stats.values() for r in s.rtts_ms]
    assert len(rtts) == 150
    assert statistics.median(rtts) < 1.0, statistics.median(rtts)
    for s in stats.values():  # an RTT may be off only by as much as the report says
        assert max(s.rtts_ms) <= 0.5 + s.precision_ms, (s.rtts_ms, s.precision_ms)


def test_low_fd_limit_does_not_break_a_large_sweep() -> None:
    """Trap: concurrency must follow ``ulimit -n``, not fail with EMFILE."""
    require_raw()
    hosts = loopback(300)
    proc = subprocess.run(
        [
            sys.executable,
            str(NS_SWEEP),
            json.dumps({"addresses": hosts, "nofile": 32, "timeout_s": 1.0}),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert sum(1 for r in results.values() if r["received"]) == 300


def test_silent_hosts_are_reported_dead(tmp_path: Path) -> None:
    require_netns()
    hosts = silent_hosts(20)
    with netns(silent=hosts) as ns:
        proc = diagnose_in(
            ns, toml_targets([*hosts, "127.0.0.1"]), "--json", "--step", "4", cwd=tmp_path
        )
    assert proc.returncode == 2, proc.stderr
    step = json.loads(proc.stdout)["results"][0]
    assert step["status"] == "fail"
    rows = {r["host"]: r for r in step["details"]["targets"]}
    assert all(rows[h]["received"] == 0 for h in hosts)
    assert rows["127.0.0.1"]["received"] == 1
    codes = {(f["code"], f["params"]["host"]) for f in step["findings"]}
    assert codes == {("ping.no_reply", h) for h in hosts}


def test_concurrent_sweeps_in_one_process_do_not_steal_replies() -> None:
    """Trap: with privileged sockets a silent sweep must not count another sweep's replies."""
    require_netns()
    silent = silent_hosts(40)
    with netns(silent=silent) as ns:
        out = ns.sweep(
            silent, also=loopback(40), mode="privileged", count=3, interval=0.1, timeout_s=0.8
        )
    assert out["privileged"] is True
    assert [a for a, r in out["results"].items() if r["received"]] == []
    assert all(r["received"] == 3 for r in out["also"].values())


def test_concurrent_processes_do_not_steal_replies() -> None:
    """Trap: icmplib ids are pid+counter, so back-to-back processes collide; ours must not."""
    require_netns()
    silent = silent_hosts(60)
    with netns(silent=silent) as ns:
        base = [sys.executable, str(NS_SWEEP)]
        live = {
            "addresses": loopback(60),
            "mode": "privileged",
            "count": 8,
            "interval": 0.1,
            "timeout_s": 0.5,
        }
        dead = {
            "addresses": silent,
            "mode": "privileged",
            "count": 8,
            "interval": 0.1,
            "timeout_s": 0.5,
        }
        cmd = ["ip", "netns", "exec", ns.name]
        procs = [
            subprocess.Popen(
                [*cmd, *base, json.dumps(o)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )
            for o in (dead, live, dead, live)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    dead_runs = [json.loads(outs[i][0])["results"] for i in (0, 2)]
    live_runs = [json.loads(outs[i][0])["results"] for i in (1, 3)]
    assert all(r["received"] == 0 for run in dead_runs for r in run.values())
    assert all(r["received"] == 8 for run in live_runs for r in run.values())


def test_no_route_is_reported_as_such(tmp_path: Path) -> None:
    require_netns()
    with netns(veth=False) as ns:
        proc = diagnose_in(
            ns, toml_targets(["198.51.100.7"]), "--json", "--step", "4", cwd=tmp_path
        )
    step = json.loads(proc.stdout)["results"][0]
    assert [f["code"] for f in step["findings"]] == ["ping.no_route"]
    assert proc.returncode == 2


def test_closed_group_range_falls_back_to_raw_once_without_noise(tmp_path: Path) -> None:
    """Trap: "1 0" refuses unprivileged ICMP even to root; detect once, fall back quietly."""
    require_netns()
    hosts = silent_hosts(30)
    with netns(silent=hosts) as ns:
        ns.sysctl("net.ipv4.ping_group_range", "1 0")
        proc = diagnose_in(
            ns, toml_targets([*hosts, *loopback(30)]), "--json", "--step", "4", cwd=tmp_path
        )
    if json.loads(proc.stdout)["results"][0]["details"]["mode"] == "unavailable":
        pytest.skip("the test process has no CAP_NET_RAW")
    step = json.loads(proc.stdout)["results"][0]
    assert step["details"]["mode"] == "privileged"
    assert step["details"]["fell_back_to_privileged"] is True
    assert "Task exception" not in proc.stderr
    assert "Traceback" not in proc.stderr
    rows = step["details"]["targets"]
    assert sum(1 for r in rows if r["received"]) == 30


def test_open_group_range_uses_unprivileged_sockets(tmp_path: Path) -> None:
    require_netns()
    hosts = silent_hosts(10)
    with netns(silent=hosts) as ns:
        ns.sysctl("net.ipv4.ping_group_range", "0 2147483647")
        proc = diagnose_in(
            ns,
            toml_targets([*hosts, "127.0.0.1", "::1"]),
            "--json",
            "--step",
            "4",
            cwd=tmp_path,
            drop_net_raw=True,
        )
    step = json.loads(proc.stdout)["results"][0]
    assert step["details"]["mode"] == "unprivileged"
    assert step["details"]["fell_back_to_privileged"] is False
    got = {r["host"]: r["received"] for r in step["details"]["targets"]}
    assert got == {**dict.fromkeys(hosts, 0), "127.0.0.1": 1, "::1": 1}


def test_no_icmp_at_all_is_unavailable_with_the_fix(tmp_path: Path) -> None:
    require_netns()
    with netns() as ns:
        ns.sysctl("net.ipv4.ping_group_range", "1 0")
        js = diagnose_in(
            ns,
            toml_targets(["127.0.0.1"]),
            "--json",
            "--step",
            "4",
            cwd=tmp_path,
            drop_net_raw=True,
        )
        text = diagnose_in(
            ns, toml_targets(["127.0.0.1"]), "--step", "4", cwd=tmp_path, drop_net_raw=True
        )
    step = json.loads(js.stdout)["results"][0]
    assert step["status"] == "unavailable"
    assert [f["code"] for f in step["findings"]] == ["ping.unavailable"]
    assert 'net.ipv4.ping_group_range="0 2147483647"' in text.stdout
    assert "CAP_NET_RAW" in text.stdout
    assert "Traceback" not in js.stderr + text.stderr


def test_defaults_ping_the_machines_gateway_and_dns(tmp_path: Path) -> None:
    """No config file: the targets are the default gateway and the resolv.conf servers."""
    require_netns()
    with netns(gateway="198.51.100.254", resolv="nameserver 127.0.0.1\n") as ns:
        js = diagnose_in(ns, None, "--json", "--step", "4", cwd=tmp_path)
        text = diagnose_in(ns, None, "--step", "4", cwd=tmp_path)
    step = json.loads(js.stdout)["results"][0]
    rows = {r["role"]: r for r in step["details"]["targets"]}
    assert rows["gateway"]["host"] == "198.51.100.254"
    assert rows["gateway"]["received"] == 0
    assert rows["dns"]["host"] == "127.0.0.1"
    assert rows["dns"]["received"] == 3
    assert "gateway 198.51.100.254 tidak menjawab ping: periksa kabel/switch" in text.stdout
    assert js.returncode == 2


def test_resource_limit_is_what_the_budget_follows() -> None:
    from checks.limits import fd_budget, open_fds

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_fds() + 40, hard))
        assert 1 <= fd_budget() <= 40
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_kernel_receive_stamps_are_proven_on_before_a_sweep_trusts_them() -> None:
    """The kernel stamps at read time until its deferred switch-on runs; the probe waits it out."""
    from checks.icmp import kernel_stamping_ready

    if sys.platform != "linux":
        pytest.skip("kernel receive timestamps are a Linux feature")
    assert kernel_stamping_ready() is True
