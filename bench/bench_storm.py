"""Benchmark (issue 9): a complaint storm when the office network drops.

Runs the real bot in process (``bot.telegram.runtime.run_bot``) against the Bot
API stand-in (tests/botapi_stub.py) with Telegram's flood limits enforced
(``enforce_limits=True``: 429 past 1/s per chat, 20/min per group, 30/s overall)
and the sender at Telegram's real limits (``SenderOptions()``), a real SQLite
file in a temporary directory and loopback-only checks. One ADB, no ADB group.

    .venv/bin/python bench/bench_storm.py            # about 15 minutes
    .venv/bin/python bench/bench_storm.py --quick    # about 4 minutes, smaller figures
    .venv/bin/python bench/bench_storm.py --large    # the large storm and intake only

Parts, each bounded in time; figures are printed next to their goals:

- storm: N reporters at one site file ``/lapor <text>`` within 1 s;
- mixed storm: 100 reporters over 10 sites, each through the /lapor dialog's
  site buttons;
- large storm (``--large``, or in a full run): 1,000 reporters over 15 sites file
  ``/lapor <text naming the site>`` within 10 s;
- intake: the same burst of ``/lapor`` to a bare python-telegram-bot
  ``Application`` (stock ``Updater``) that only answers a fixed text, and to netmaint;
- size: ``python -m bot bot`` as a process: start-up time to its first
  getUpdates, resident memory idle and after filing many complaints over HTTP.

Loopback only: the stand-in listens on 127.0.0.1, the checks probe 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.error import RetryAfter  # noqa: E402
from telegram.ext import Application, CommandHandler, ContextTypes  # noqa: E402

from bot.delivery.sender import SenderOptions, retry_seconds  # noqa: E402
from bot.settings.environment import EXPECTED, Settings  # noqa: E402
from bot.settings.office import OfficeConfig  # noqa: E402
from bot.telegram.runtime import run_bot  # noqa: E402
from checks import redact  # noqa: E402
from checks.config import parse_config  # noqa: E402
from tests.support.botapi_stub import OUTBOX_METHODS, BotApiStub  # noqa: E402
from tests.support.office import FAST_CHECKS_TOML  # noqa: E402

ADB = 5001
JF_CHAT = -100200
KABID_CHAT = -100300
FIRST_USER = 700_000
TAG = re.compile(r"#K(\d+)\b")
INCIDENT = re.compile(r"#I(\d+)\b")
CONTINUATION = "Daftar keluhan gangguan"
ACK = "diterima"
ENV_NAMES = tuple(EXPECTED)  # every variable the bot reads


def config_toml(sites: int) -> str:
    return FAST_CHECKS_TOML + "".join(
        f'\n[[sites]]\nname = "Kantor {i + 1}"\n' for i in range(sites)
    )


def office(sites: int) -> OfficeConfig:
    return parse_config(config_toml(sites), "bench.toml", model=OfficeConfig)


def settings(stub: BotApiStub, db: Path) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=stub.token,
        telegram_api_base_url=stub.base_url,
        adb_user_ids=(ADB,),
        adb_chat_id=None,
        jf_adb_chat_id=JF_CHAT,
        kabid_chat_id=KABID_CHAT,
        netmaint_db=db,
        netmaint_lang="id",
        netmaint_poll_timeout=1,
    )


@contextlib.asynccontextmanager
async def netmaint(stub: BotApiStub, sites: int) -> AsyncIterator[None]:
    """The real bot in this process, with Telegram's real limits in its sender."""
    with tempfile.TemporaryDirectory() as tmp:
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            run_bot(
                settings(stub, Path(tmp) / "bench.db"),
                office(sites),
                stop,
                ready=ready,
                sender_options=SenderOptions(),
            )
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


def user(i: int) -> dict[str, Any]:
    return BotApiStub.user(FIRST_USER + i, f"Staf {i}")


def acks(stub: BotApiStub, text: str = ACK) -> dict[int, tuple[float, str]]:
    """chat -> (when the stand-in received it, text) of the first acknowledgement per chat."""
    out: dict[int, tuple[float, str]] = {}
    for c in list(stub.calls):
        if (
            c.method == "sendMessage"
            and c.carried_out
            and text in str(c.params.get("text"))
            and c.params.get("chat_id") not in out
        ):
            out[int(c.params["chat_id"])] = (c.at, str(c.params["text"]))
    return out


def prompts(stub: BotApiStub) -> list[tuple[set[int], dict[str, Any]]]:
    """The ADB's messages that carry the Ya/Tidak buttons, with the complaints each lists."""
    found = []
    for m in stub.chat_messages(ADB):
        if any(d.startswith("dec ") for d in stub.buttons(m).values()):  # Ya / Tidak
            found.append(({int(t) for t in TAG.findall(m["text"])}, m))
    return found


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class Watch:
    """Polls the stand-in: when each complaint first sat in a prompt with buttons."""

    def __init__(self, stub: BotApiStub) -> None:
        self.stub = stub
        self.prompted: dict[int, float] = {}
        self.complete_at: float | None = None  # one message listing every complaint

    def tick(self, tags: set[int]) -> None:
        now = time.monotonic()
        for listed, _ in prompts(self.stub):
            for t in listed:
                self.prompted.setdefault(t, now)
            if tags and tags <= listed and self.complete_at is None:
                self.complete_at = now

    def done(self, tags: set[int]) -> bool:
        return bool(tags) and (self.complete_at is not None or tags <= set(self.prompted))


async def storm(n: int, limit_s: float) -> dict[str, Any]:
    """n reporters at one site file /lapor <text> within 1 s."""
    with BotApiStub(enforce_limits=True) as stub:
        async with netmaint(stub, sites=1):
            queued: dict[int, float] = {}
            for i in range(n):
                queued[FIRST_USER + i] = time.monotonic()
                stub.send_text(user(i), f"/lapor jaringan Kantor 1 mati di meja {i}")
                await asyncio.sleep(1.0 / n)
            last = max(queued.values())
            watch = Watch(stub)
            deadline = last + limit_s
            while time.monotonic() < deadline:
                got = acks(stub)
                tags = {int(TAG.findall(t)[0]) for _, t in got.values()}
                watch.tick(tags if len(got) == n else set())
                if len(got) == n and watch.done(tags):
                    break
                await asyncio.sleep(0.05)
            got = acks(stub)
            tags = {int(TAG.findall(t)[0]) for _, t in got.values()}
            adb_calls = sum(
                1
                for c in stub.calls
                if c.method in OUTBOX_METHODS and c.params.get("chat_id") == ADB
            )
            limited = sum(stub.limited.values())
        latencies = [got[u][0] - queued[u] for u in got]
    incident = watch.complete_at is not None
    end = (
        watch.complete_at
        if incident
        else (
            max(watch.prompted[t] for t in tags) if tags and tags <= set(watch.prompted) else None
        )
    )
    lost = (n - len(got)) + len(tags - set(watch.prompted))
    return {
        "n": n,
        "p50": pct(latencies, 0.5),
        "p95": pct(latencies, 0.95),
        "max": max(latencies) if latencies else float("nan"),
        "prompt_s": (end - last) if end else None,
        "incident": incident,
        "adb_calls": adb_calls,
        "429s": limited,
        "lost": lost,
        "prompts": len(prompts(stub)),
    }


def listings(stub: BotApiStub) -> dict[int, set[int]]:
    """Incident -> the complaints its prompt (with its buttons) and its continuations list."""
    found: dict[int, set[int]] = {}
    for m in stub.chat_messages(ADB):
        text = m["text"]
        prompt = any(d.startswith("dec ") for d in stub.buttons(m).values())
        if not (prompt or CONTINUATION in text) or not (inc := INCIDENT.search(text)):
            continue
        listed = {int(t) for t in TAG.findall(text)}
        found.setdefault(int(inc.group(1)), set()).update(listed)
    return found


async def large_storm(n: int, sites: int, spread_s: float, limit_s: float) -> dict[str, Any]:
    """n reporters over ``sites`` sites (in turn) file /lapor naming it, within spread_s."""
    with BotApiStub(enforce_limits=True) as stub:
        async with netmaint(stub, sites=sites):
            queued: dict[int, float] = {}
            site_of: dict[int, int] = {}
            first = time.monotonic()
            for i in range(n):
                due = first + i * spread_s / n
                if (ahead := due - time.monotonic()) > 0:
                    await asyncio.sleep(ahead)
                site_of[FIRST_USER + i] = i % sites
                queued[FIRST_USER + i] = time.monotonic()
                stub.send_text(user(i), f"/lapor jaringan Kantor {i % sites + 1} mati di meja {i}")
            site_last = {
                s: max(t for u, t in queued.items() if site_of[u] == s) for s in range(sites)
            }
            complete: dict[int, float] = {}  # site -> when one incident listed all of it
            tags_of: dict[int, set[int]] = {}
            deadline = time.monotonic() + limit_s
            got: dict[int, tuple[float, str]] = {}
            while time.monotonic() < deadline:
                got = acks(stub)
                tags_of = {s: set() for s in range(sites)}
                for u, (_, text) in got.items():
                    tags_of[site_of[u]].add(int(TAG.findall(text)[0]))
                if len(got) == n:
                    now = time.monotonic()
                    lists = listings(stub)
                    for s, tags in tags_of.items():
                        if s not in complete and any(tags <= listed for listed in lists.values()):
                            complete[s] = now
                    if len(complete) == sites:
                        break
                await asyncio.sleep(0.1)
            n_prompts = len(prompts(stub))
            limited = sum(stub.limited.values())
            adb_calls = sum(
                1
                for c in stub.calls
                if c.method in OUTBOX_METHODS and c.params.get("chat_id") == ADB
            )
            listed = set().union(*listings(stub).values()) if listings(stub) else set()
    ack_s = [got[u][0] - first for u in got]
    all_tags = set().union(*tags_of.values()) if tags_of else set()
    return {
        "n": n,
        "sites": sites,
        "floor_s": n / 30,
        "last_ack_s": max(ack_s) if ack_s else None,
        "prompts": n_prompts,
        "complete": len(complete),
        "worst_prompt_s": max((complete[s] - site_last[s] for s in complete), default=None),
        "adb_calls": adb_calls,
        "429s": limited,
        "lost": (n - len(got)) + len(all_tags - listed),
    }


async def reporter(stub: BotApiStub, i: int, site_index: int, filed: dict[int, float]) -> None:
    """One staff member through the dialog: /lapor, a site button, then the text."""
    u, chat = user(i), FIRST_USER + i
    stub.send_text(u, "/lapor")
    while True:
        asked = [m for m in stub.chat_messages(chat) if stub.buttons(m)]
        if asked:
            break
        await asyncio.sleep(0.05)
    msg = asked[-1]
    data = stub.buttons(msg)[f"Kantor {site_index + 1}"]  # the site's button, by its label
    stub.press(u, chat, msg["message_id"], data)
    while stub.buttons(stub.messages[(chat, msg["message_id"])]):
        await asyncio.sleep(0.05)
    stub.send_text(u, f"jaringan mati di meja {i}")
    filed[chat] = time.monotonic()


async def mixed_storm(n: int, sites: int, limit_s: float) -> dict[str, Any]:
    with BotApiStub(enforce_limits=True) as stub:
        async with netmaint(stub, sites=sites):
            filed: dict[int, float] = {}
            people = []
            for i in range(n):
                people.append(asyncio.create_task(reporter(stub, i, i % sites, filed)))
                await asyncio.sleep(1.0 / n)
            watch = Watch(stub)
            deadline = time.monotonic() + limit_s
            tags: set[int] = set()
            while time.monotonic() < deadline:
                got = acks(stub)
                tags = {int(TAG.findall(t)[0]) for _, t in got.values()}
                watch.tick(set())
                if len(got) == n and tags <= set(watch.prompted):
                    break
                await asyncio.sleep(0.1)
            for p in people:
                p.cancel()
            await asyncio.gather(*people, return_exceptions=True)
            n_prompts = len(prompts(stub))
            limited = sum(stub.limited.values())
    last = max(filed.values()) if filed else float("nan")
    covered = tags and tags <= set(watch.prompted)
    return {
        "n": n,
        "sites": sites,
        "filed": len(filed),
        "acked": len(tags),
        "prompts": n_prompts,
        "429s": limited,
        "last_s": (max(watch.prompted[t] for t in tags) - last) if covered else None,
    }


async def bare_bot(stub: BotApiStub, n: int, limit_s: float) -> float:
    """A stock PTB Application answering /lapor with a fixed text: acknowledgements/s."""

    async def lapor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        while True:  # the least a bot must do at Telegram's limits: wait when told to
            try:
                await update.message.reply_text("Keluhan diterima")
                return
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))

    app = Application.builder().token(stub.token).base_url(stub.base_url).build()
    app.add_handler(CommandHandler("lapor", lapor))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        rate = await burst(stub, n, limit_s, "Keluhan diterima")
        await app.updater.stop()
        await app.stop()
    return rate


async def burst(stub: BotApiStub, n: int, limit_s: float, text: str = ACK) -> float:
    """Queue n /lapor updates at once; acknowledgements per second until the last."""
    start = time.monotonic()
    for i in range(n):
        stub.send_text(user(i), f"/lapor jaringan Kantor 1 mati di meja {i}")
    deadline = start + limit_s
    while time.monotonic() < deadline and len(acks(stub, text)) < n:
        await asyncio.sleep(0.05)
    got = acks(stub, text)
    if not got:
        return 0.0
    return len(got) / (max(t for t, _ in got.values()) - start)


async def intake(n: int, limit_s: float) -> dict[str, float]:
    with BotApiStub(enforce_limits=True) as stub:
        bare = await bare_bot(stub, n, limit_s)
        bare_limited = sum(stub.limited.values())
    with BotApiStub(enforce_limits=True) as stub:
        async with netmaint(stub, sites=1):
            ours = await burst(stub, n, limit_s)
        limited = sum(stub.limited.values())
    return {
        "n": n,
        "bare": bare,
        "netmaint": ours,
        "ratio": ours / bare if bare else 0.0,
        "429s_bare": bare_limited,
        "429s": limited,
    }


def size(complaints: int, limit_s: float) -> dict[str, Any]:
    """``python -m bot bot`` as a process: start-up, RSS idle and after filing."""
    with tempfile.TemporaryDirectory() as tmp, BotApiStub() as stub:
        cfg = Path(tmp) / "netmaint.toml"
        # After each decision the next complaint opens a new incident (no grouping window).
        cfg.write_text(config_toml(1) + "\n[grouping]\nwindow_minutes = 0\n", encoding="utf-8")
        db = Path(tmp) / "netmaint.db"
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env.update(
            TELEGRAM_BOT_TOKEN=stub.token,
            TELEGRAM_API_BASE_URL=stub.base_url,
            ADB_USER_IDS=str(ADB),
            JF_ADB_CHAT_ID=str(JF_CHAT),
            KABID_CHAT_ID=str(KABID_CHAT),
            NETMAINT_DB=str(db),
            NETMAINT_CONFIG=str(cfg),
            NETMAINT_POLL_TIMEOUT="1",
        )
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "bot"],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            startup = None
            while startup is None and time.monotonic() - start < 30:
                first = next((c.at for c in list(stub.calls) if c.method == "getUpdates"), None)
                if first is not None:
                    startup = first - start
                time.sleep(0.01)
            time.sleep(2.0)
            rss = psutil.Process(proc.pid)
            idle = rss.memory_info().rss
            t0 = time.monotonic()
            for i in range(complaints):
                stub.send_text(user(i), f"/lapor jaringan Kantor 1 mati di meja {i}")
            filed, peak, pressed = 0, idle, set()
            while time.monotonic() - t0 < limit_s:
                # A year of a busy office: the ADB decides each outage as its prompt comes,
                # so complaints make many incidents, not one of 10,000.
                for m in stub.chat_messages(ADB):
                    data = stub.buttons(m).get("✅ Ya")
                    if data and data not in pressed:
                        pressed.add(data)
                        stub.press(BotApiStub.user(ADB, "ADB"), ADB, m["message_id"], data)
                with contextlib.closing(sqlite3.connect(db)) as conn:
                    filed = conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0]
                peak = max(peak, rss.memory_info().rss)
                if filed >= complaints:
                    break
                time.sleep(0.5)
            took = time.monotonic() - t0
            after = rss.memory_info().rss
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    mb = 1024 * 1024
    return {
        "startup_s": startup,
        "idle_mb": idle / mb,
        "after_mb": after / mb,
        "peak_mb": peak / mb,
        "filed": filed,
        "asked": complaints,
        "file_s": took,
    }


def mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def fmt(x: float | None, unit: str = " s") -> str:
    return "-" if x is None else f"{x:.1f}{unit}"


async def print_large(quick: bool) -> None:
    print("\n== Large storm: 1,000 reporters over 15 sites within 10 s (/lapor naming the site) ==")
    print(
        "goals: every ack within 1.15x the floor (N/30 s after the first complaint) + 1 s;"
        " one prompt per incident, complete within 10 s of its site's last complaint;"
        " 0 429s; 0 lost"
    )
    r = await large_storm(1000, 15, 10.0, limit_s=180)
    bound = 1.15 * r["floor_s"] + 1
    last = r["last_ack_s"]
    worst = r["worst_prompt_s"]
    prompt_ok = r["complete"] == r["sites"] and worst is not None and worst <= 10
    print(
        f"N={r['n']} sites {r['sites']}  last ack {fmt(last)} after the first complaint"
        f" (floor {r['floor_s']:.1f} s, bound {bound:.1f} s)"
        f" [{mark(last is not None and last <= bound)}]"
        f"  prompts {r['prompts']} [{mark(r['prompts'] == r['sites'])}]"
        f"  complete {r['complete']}/{r['sites']}, the slowest {fmt(worst)} after its site's"
        f" last complaint [{mark(prompt_ok)}]"
        f"  ADB calls {r['adb_calls']}  429s {r['429s']} [{mark(r['429s'] == 0)}]"
        f"  lost {r['lost']} [{mark(r['lost'] == 0)}]"
    )


async def print_intake(quick: bool) -> None:
    print("\n== Intake: the same burst of /lapor, bare PTB Application vs netmaint ==")
    print("goal: netmaint >= 0.9x the bare bot's acknowledgements per second, at 60 and 200")
    for n in (60, 200):
        i = await intake(n, limit_s=60 if quick else 120)
        print(
            f"N={i['n']}  bare {i['bare']:.1f} acks/s  netmaint {i['netmaint']:.1f} acks/s"
            f"  ratio {i['ratio']:.2f}x [{mark(i['ratio'] >= 0.9)}]"
            f"  429s bare {i['429s_bare']} netmaint {i['429s']} [{mark(i['429s'] == 0)}]"
        )


async def main_async(args: argparse.Namespace) -> None:
    quick = args.quick
    if args.large:
        print(f"netmaint storm bench (large), {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
        await print_large(quick)
        await print_intake(quick)
        return
    sizes = (10, 30) if quick else (30, 100)
    print(
        f"netmaint storm bench ({'quick' if quick else 'full'}), {time.strftime('%Y-%m-%d')},"
        f" {os.cpu_count()} cores; stand-in enforces 1/s per chat, 20/min per group, 30/s"
    )
    print("\n== Storm: N reporters at one site within 1 s (/lapor <text>) ==")
    print(
        "goals (at 100): every ack within 5 s, complete prompt within 10 s of the last"
        " complaint, <= 15 calls to the ADB chat, 0 429s, 0 lost"
    )
    for n in sizes:
        r = await storm(n, limit_s=90 if quick else 300)
        definition = (
            "one ADB message lists every complaint"
            if r["incident"]
            else "one prompt per complaint: until the last one has its buttons"
        )
        print(
            f"N={n:3d}  ack p50 {fmt(r['p50'])} p95 {fmt(r['p95'])} max {fmt(r['max'])}"
            f" [{mark(r['max'] <= 5)}]  prompt {fmt(r['prompt_s'])}"
            f" [{mark(r['prompt_s'] is not None and r['prompt_s'] <= 10)}]"
            f"  ADB calls {r['adb_calls']} [{mark(r['adb_calls'] <= 15)}]"
            f"  429s {r['429s']} [{mark(r['429s'] == 0)}]"
            f"  lost {r['lost']} [{mark(r['lost'] == 0)}]  prompts {r['prompts']}"
        )
        print(f"        prompt definition: {definition}")
    print("\n== Mixed storm: reporters over 10 sites, through the /lapor site buttons ==")
    print("goal: 10 prompts, the last complete one within 20 s of the last complaint")
    n = 30 if quick else 100
    m = await mixed_storm(n, 10, limit_s=120 if quick else 300)
    print(
        f"N={m['n']} filed {m['filed']} acked {m['acked']}  prompts {m['prompts']}"
        f" [{mark(m['prompts'] == 10)}]  last complete {fmt(m['last_s'])}"
        f" [{mark(m['last_s'] is not None and m['last_s'] <= 20)}]  429s {m['429s']}"
    )
    if not quick:
        await print_large(quick)
    await print_intake(quick)
    print("\n== Size: python -m bot bot as a process (complaints filed over HTTP) ==")
    print("goals: RSS under 80 MB after 10,000 complaints, first getUpdates within 1.5 s")
    s = await asyncio.to_thread(size, 1000 if quick else 10_000, 180 if quick else 900)
    print(
        f"start-up to first getUpdates {fmt(s['startup_s'])}"
        f" [{mark(s['startup_s'] is not None and s['startup_s'] <= 1.5)}]"
        f"  RSS idle {s['idle_mb']:.1f} MB, after {s['filed']}/{s['asked']} complaints"
        f" {s['after_mb']:.1f} MB (peak {s['peak_mb']:.1f}) [{mark(s['peak_mb'] < 80)}],"
        f" filed in {s['file_s']:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller storms, shorter limits")
    parser.add_argument("--large", action="store_true", help="only the large storm and intake")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    redact.quiet_http_loggers()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
