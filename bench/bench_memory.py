"""Benchmark (issue 20): memory and cost per complaint of ``python -m bot bot`` at scale.

Runs, side by side in one run, the real ``python -m bot bot`` and a bare
python-telegram-bot ``Application`` (one handler: /lapor answered with one
reply) as processes, each against its own instance of the Bot API stand-in
(tests/support/botapi_stub.py) on 127.0.0.1, with a config whose checks probe
127.0.0.1 only. Complaints are filed over HTTP: ``/lapor`` updates from
distinct users queued in the stand-in, 100 at a time (the next 100 once the
last 100 are acknowledged), measured per thousand; the ADB presses Ya on each
prompt as it comes, so the complaints make many incidents, as in a busy year.

    .venv/bin/python bench/bench_memory.py     # 10,000 asked; ~6,500 by its 540 s bound
    .venv/bin/python bench/bench_memory.py --complaints 3000 --limit-s 240

Prints: time to the first getUpdates; idle RSS of both and the ratio; per
thousand the filing rate, CPU seconds per complaint and RSS of both; RSS after
1,000 / 5,000 / 10,000 and the growth between 5,000 and 10,000; the rate of
the last thousand against the first. The stand-in keeps no call list (``LeanStub``)
and the bench reads nothing that grows: what it measures is the bot.
Bounded: stops at ``--limit-s`` (default 540 s) wherever it is; never part of
the test suite.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from tests.support.botapi_stub import BotApiStub  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from bench_storm import ADB, ENV_NAMES, FIRST_USER, JF_CHAT, KABID_CHAT, config_toml  # noqa: E402

ACK = "diterima"
BARE_ACK = "Keluhan diterima"
MB = 1024 * 1024
CHECKPOINTS = (1000, 5000, 10_000)
YA = "✅ Ya"

# The least a bot does: /lapor answered with one reply (waits out a 429, as netmaint does).
BARE_BOT = """
import asyncio, os
from telegram.error import RetryAfter
from telegram.ext import Application, CommandHandler

async def lapor(update, context):
    while True:
        try:
            await update.message.reply_text("Keluhan diterima")
            return
        except RetryAfter as exc:
            await asyncio.sleep(float(exc.retry_after if isinstance(exc.retry_after, int)
                                      else exc.retry_after.total_seconds()))

app = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"])
       .base_url(os.environ["TELEGRAM_API_BASE_URL"]).build())
app.add_handler(CommandHandler("lapor", lapor))
app.run_polling(poll_interval=0.0, timeout=1)
"""


class LeanStub(BotApiStub):
    """The stand-in, keeping only what this bench reads: the first getUpdates, which
    reporters were acknowledged, and the ADB chat (to press Ya on each prompt once).

    The stock stand-in keeps every call and every message, and a bench that scans them
    each tick costs more as the run goes on: it would measure itself, not the bot.
    """

    def __init__(self, ack: str) -> None:
        super().__init__()
        self.ack = ack
        self.calls = collections.deque(maxlen=32)  # type: ignore[assignment]
        self.first_poll: float | None = None
        self.acked: set[int] = set()
        self.delivered: collections.Counter[str] = (
            collections.Counter()
        )  # carried out, per audience
        self.to_press: collections.deque[tuple[int, str]] = collections.deque()
        self._pressed: set[str] = set()
        self._lean = threading.Lock()

    def _m_getUpdates(self, p: dict[str, Any]) -> tuple[int, Any]:
        if self.first_poll is None:
            self.first_poll = time.monotonic()
        return super()._m_getUpdates(p)

    def _m_sendMessage(self, p: dict[str, Any]) -> tuple[int, Any]:
        status, result = super()._m_sendMessage(p)
        if status == 200:
            self._seen(int(p["chat_id"]), result)
        return status, result

    def _m_editMessageText(self, p: dict[str, Any]) -> tuple[int, Any]:
        status, result = super()._m_editMessageText(p)
        if status == 200:
            self._seen(int(p["chat_id"]), result)
        return status, result

    def _seen(self, chat_id: int, msg: dict[str, Any]) -> None:
        with self._lean:
            audience = (
                "reporters" if chat_id >= FIRST_USER else "ADB" if chat_id == ADB else "groups"
            )
            self.delivered[audience] += 1
            if chat_id >= FIRST_USER:
                if self.ack in msg["text"]:
                    self.acked.add(chat_id)
                return
            if chat_id == ADB:
                data = self.buttons(msg).get(YA)
                if data and data not in self._pressed:
                    self._pressed.add(data)
                    self.to_press.append((msg["message_id"], data))

    def press_all(self) -> None:
        """The ADB presses Ya on every new prompt (a busy office deciding each outage)."""
        while self.to_press:
            message_id, data = self.to_press.popleft()
            self.press(BotApiStub.user(ADB, "ADB"), ADB, message_id, data)


@dataclass
class Proc:
    """One bot process and what was measured of it."""

    name: str
    stub: LeanStub
    popen: subprocess.Popen[bytes]
    started: float
    ps: psutil.Process = field(init=False)
    rss: dict[int, float] = field(default_factory=dict)  # complaints -> MB
    rows: list[tuple[int, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.popen.pid)

    def mb(self) -> float:
        return float(self.ps.memory_info().rss) / MB

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def startup(self) -> float | None:
        first = self.stub.first_poll
        return None if first is None else first - self.started

    def stop(self) -> None:
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def environment(stub: BotApiStub, tmp: Path) -> dict[str, str]:
    """A ``.env``-less environment naming the stand-in, a new database and a loopback config."""
    cfg = tmp / "netmaint.toml"
    # After each decision the next complaint opens a new incident (no grouping window).
    cfg.write_text(config_toml(1) + "\n[grouping]\nwindow_minutes = 0\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(
        TELEGRAM_BOT_TOKEN=stub.token,
        TELEGRAM_API_BASE_URL=stub.base_url,
        ADB_USER_IDS=str(ADB),
        JF_ADB_CHAT_ID=str(JF_CHAT),
        KABID_CHAT_ID=str(KABID_CHAT),
        NETMAINT_DB=str(tmp / "netmaint.db"),
        NETMAINT_CONFIG=str(cfg),
        NETMAINT_POLL_TIMEOUT="1",
    )
    return env


def launch(name: str, args: list[str], stub: LeanStub, env: dict[str, str], cwd: Path) -> Proc:
    started = time.monotonic()
    popen = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc = Proc(name, stub, popen, started)
    while proc.startup() is None and time.monotonic() - started < 30:
        if popen.poll() is not None:
            raise SystemExit(f"{name} exited with {popen.returncode} before its first getUpdates")
        time.sleep(0.005)
    return proc


def file_batch(procs: list[Proc], first: int, n: int, chunk: int, deadline: float) -> bool:
    """File complaints first+1 .. first+n in each stand-in, ``chunk`` at a time (the next
    chunk is queued once every reporter of the last one has their acknowledgement), and
    add one row per process: (complaints so far, seconds, CPU seconds, RSS MB)."""
    t0, cpu0 = time.monotonic(), [p.cpu() for p in procs]
    done = [0.0] * len(procs)
    cpu = [0.0] * len(procs)
    queued = [first] * len(procs)
    target = first + n
    while time.monotonic() < deadline and not all(done):
        for k, p in enumerate(procs):
            p.stub.press_all()
            if done[k]:
                continue
            acked = len(p.stub.acked)
            if acked >= target:
                done[k], cpu[k] = time.monotonic() - t0, p.cpu() - cpu0[k]
            elif acked >= queued[k] and queued[k] < target:
                upto = min(queued[k] + chunk, target)
                for i in range(queued[k], upto):
                    who = BotApiStub.user(FIRST_USER + i, f"Staf {i}")
                    p.stub.send_text(who, f"/lapor jaringan mati di meja {i}, Kantor 1")
                queued[k] = upto
        time.sleep(0.02)
    for k, p in enumerate(procs):
        if done[k]:
            p.rows.append((target, done[k], cpu[k], p.mb()))
    return all(done)


def filed_in_db(env: dict[str, str]) -> int:
    with contextlib.closing(sqlite3.connect(env["NETMAINT_DB"])) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(ours: Proc, bare: Proc, idle: tuple[float, float], batch: int) -> None:
    print(
        f"\n{'complaints':>10} | {'netmaint /s':>11} {'CPU ms each':>11} {'RSS MB':>7} |"
        f" {'bare /s':>8} {'CPU ms each':>11} {'RSS MB':>7} | ratio RSS"
    )
    for (n, secs, cpu, mb), (_, bsecs, bcpu, bmb) in zip(ours.rows, bare.rows, strict=False):
        print(
            f"{n:>10,} | {batch / secs:>11.1f} {1000 * cpu / batch:>11.2f} {mb:>7.1f} |"
            f" {batch / bsecs:>8.1f} {1000 * bcpu / batch:>11.2f} {bmb:>7.1f} | {mb / bmb:.2f}x"
        )
    print(
        f"\nidle RSS: netmaint {idle[0]:.1f} MB, bare {idle[1]:.1f} MB, "
        f"{idle[0] / idle[1]:.2f}x [{verdict(idle[0] <= 1.4 * idle[1])}: <= 1.4x]"
    )
    rss = {
        n: (mb, bmb) for (n, _, _, mb), (_, _, _, bmb) in zip(ours.rows, bare.rows, strict=False)
    }
    for n in CHECKPOINTS:
        if n in rss:
            mb, bmb = rss[n]
            goal = f" [{verdict(mb <= 1.6 * bmb)}: <= 1.6x]" if n == CHECKPOINTS[-1] else ""
            print(f"after {n:>6,}: netmaint {mb:.1f} MB, bare {bmb:.1f} MB, {mb / bmb:.2f}x{goal}")
    if 5000 in rss and 10_000 in rss:
        growth = rss[10_000][0] - rss[5000][0]
        print(
            f"growth 5,000 -> 10,000: netmaint {growth:+.1f} MB,"
            f" bare {rss[10_000][1] - rss[5000][1]:+.1f} MB [{verdict(growth <= 1.0)}:"
            " none, within 1 MB of allocator noise]"
        )
    if len(ours.rows) >= 2:
        first, last = ours.rows[0], ours.rows[-1]
        ratio = first[1] / last[1]
        print(
            f"filing rate, batch #{len(ours.rows)} vs #1 (of {batch:,} each):"
            f" {batch / last[1]:.1f} vs"
            f" {batch / first[1]:.1f} complaints/s, {ratio:.2f}x [{verdict(ratio >= 0.9)}:"
            " >= 0.9x]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000, help="in all (default 10,000)")
    parser.add_argument("--batch", type=int, default=1000, help="complaints per measured batch")
    parser.add_argument("--chunk", type=int, default=100, help="queued at once (a burst)")
    parser.add_argument("--limit-s", type=float, default=540, help="stop after this long")
    parser.add_argument("--idle-s", type=float, default=3.0, help="settle before idle RSS")
    parser.add_argument("--keep", type=Path, help="copy netmaint's database here at the end")
    args = parser.parse_args()
    print(
        f"netmaint memory bench, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores,"
        f" load {os.getloadavg()[0]:.1f}; {args.complaints:,} complaints in batches of"
        f" {args.batch:,} ({args.chunk} queued at a time), bound {args.limit_s:.0f} s"
    )
    stub, bare_stub = LeanStub(ACK), LeanStub(BARE_ACK)
    with tempfile.TemporaryDirectory() as tmp_s, stub, bare_stub:
        tmp = Path(tmp_s)
        env = environment(stub, tmp)
        bare_env = {
            **env,
            "TELEGRAM_BOT_TOKEN": bare_stub.token,
            "TELEGRAM_API_BASE_URL": bare_stub.base_url,
        }
        ours = launch("netmaint", ["-m", "bot", "bot"], stub, env, tmp)
        procs = [ours]
        try:
            bare = launch("bare", ["-c", BARE_BOT], bare_stub, bare_env, tmp)
            procs.append(bare)
            start = ours.startup() or 0.0
            print(
                f"start-up to the first getUpdates: netmaint {start:.2f} s"
                f" [{verdict(start <= 1.0)}: <= 1.0 s], bare {bare.startup() or 0:.2f} s"
            )
            time.sleep(args.idle_s)
            idle = (ours.mb(), bare.mb())
            deadline = time.monotonic() + args.limit_s
            for first in range(0, args.complaints, args.batch):
                n = min(args.batch, args.complaints - first)
                if not file_batch(procs, first, n, args.chunk, deadline):
                    print(
                        f"bound of {args.limit_s:.0f} s reached during complaints"
                        f" {first + 1:,}-{first + n:,}: netmaint acknowledged"
                        f" {len(stub.acked):,}, bare {len(bare_stub.acked):,}"
                    )
                    break
                row = ours.rows[-1]
                print(
                    f"  {row[0]:>6,} acknowledged in {row[1]:.1f} s,"
                    f" netmaint {row[3]:.1f} MB, bare {bare.rows[-1][3]:.1f} MB",
                    flush=True,
                )
            report(ours, bare, idle, args.batch)
            filed = filed_in_db(env)
            sent = sum(stub.delivered.values())
            parts = ", ".join(f"{k} {v:,}" for k, v in stub.delivered.items())
            print(
                f"complaints in netmaint's database: {filed:,}; messages sent or edited:"
                f" netmaint {sent:,} ({parts}),"
                f" {sent / max(filed, 1):.2f} a complaint, a floor of"
                f" {sent / max(filed, 1) * 1000 / 30:.0f} s a thousand at 30 a second;"
                f" bare {sum(bare_stub.delivered.values()):,}"
            )
            if args.keep:
                with (
                    contextlib.closing(sqlite3.connect(env["NETMAINT_DB"])) as src,
                    contextlib.closing(sqlite3.connect(args.keep)) as dst,
                ):
                    src.backup(dst)
        finally:
            for p in procs:
                p.stop()
            print(
                f"exit codes after SIGTERM: netmaint {ours.popen.returncode}"
                f"{'' if len(procs) < 2 else f', bare {procs[1].popen.returncode}'}"
            )


if __name__ == "__main__":
    main()
