"""Crash loop: the real bot process, killed with SIGKILL at random moments, loses nothing.

Runs ``python -m bot bot`` against the Bot API stand-in (tests/botapi_stub.py, served
from this process on 127.0.0.1) with a temporary SQLite file and a loopback-only
config. Many users file complaints with ``/lapor <text>`` in storms (they join one
outage's incident while it is undecided) while the ADB presses Ya or Tidak under each
incident's diagnosis; the bot is killed at random moments, while complaints join and
while incidents are decided, and restarted each time. At the end it checks and prints:
every complaint update filed exactly one complaint, every reporter got the number,
every complaint reached an ADB diagnosis, one decision per pressed incident, JF ADB /
Kabid got the report listing every complaint of it, every reporter got the outcome,
every update in the inbox handled, integrity_check ok after every kill, and no start
that ended on its own (a restart that failed, e.g. "cannot start a transaction within a
transaction") before it was killed. Exits 1 if a check fails.

``--storm N`` kills in storms: N kills in a row, each a moment after the start (while
the restarted bot migrates, handles its backlog and resumes diagnoses), then one
ordinary uptime; that is how 200+ kills fit in ten minutes and how the restart path
itself is killed over and over.

    .venv/bin/python bench/crash_loop.py [--kills 20] [--complaints 40] [--users 20]
    .venv/bin/python bench/crash_loop.py --kills 200 --storm 8 --complaints 120
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` and ``bot`` importable
    sys.path.insert(0, str(ROOT))

from bot.render import buttons  # noqa: E402
from tests.support.botapi_stub import BotApiStub  # noqa: E402

ADB_ID = 5001
JF_CHAT = -100200
KABID_CHAT = -100300
FIRST_USER = 8000
STOP_BOUND_S = 10.0


@dataclass
class Figures:
    """What one crash loop observed; ``failures()`` says which checks failed."""

    kills: int = 0
    starts: int = 0
    storm_kills: int = 0
    early_exits: int = 0
    transaction_errors: int = 0
    elapsed_s: float = 0.0
    updates_sent: int = 0
    complaint_updates: int = 0
    complaints: int = 0
    missing_complaints: int = 0
    duplicate_complaints: int = 0
    acks_missing: int = 0
    diagnoses_missing: int = 0
    incidents: int = 0
    presses: int = 0
    decisions: int = 0
    reports_missing: int = 0
    outcomes_missing: int = 0
    inbox_unhandled: int = 0
    updates_not_stored: int = 0
    presses_handled_again: int = 0
    duplicate_deliveries: int = 0
    integrity_failures: int = 0
    final_exit_code: int | None = None
    final_stop_s: float = 0.0
    token_in_logs: int = 0
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        bad = []
        if self.kills < 1:
            bad.append("no kill happened")
        if self.early_exits:
            bad.append("a started bot ended on its own before it was killed")
        if self.transaction_errors:
            bad.append("a write failed with 'cannot start a transaction within a transaction'")
        if self.missing_complaints or self.complaints != self.complaint_updates:
            bad.append("a complaint update did not file exactly one complaint")
        if self.duplicate_complaints:
            bad.append("duplicate complaints")
        if self.acks_missing:
            bad.append("a reporter did not get the complaint's number")
        if self.diagnoses_missing:
            bad.append("a complaint did not reach an ADB diagnosis")
        if self.decisions != self.presses:
            bad.append("a press did not decide exactly once")
        if self.reports_missing or self.outcomes_missing:
            bad.append("a JF ADB / Kabid report or a reporter's outcome is missing")
        if self.inbox_unhandled or self.updates_not_stored:
            bad.append("an update was not stored or not handled")
        if self.integrity_failures:
            bad.append("PRAGMA integrity_check failed")
        if self.final_exit_code != 0 or self.final_stop_s > STOP_BOUND_S:
            bad.append("the final SIGTERM did not stop the bot cleanly within 10 s")
        if self.token_in_logs:
            bad.append("the bot token appeared in the bot's output")
        return bad

    def lines(self) -> list[str]:
        return [
            f"kills (SIGKILL) / starts:              {self.kills} / {self.starts}"
            f" ({self.storm_kills} in storms, 0-1.2 s into the start-up)",
            f"starts that ended on their own:        {self.early_exits}",
            f"'transaction within a transaction':    {self.transaction_errors}",
            f"wall time of the whole loop:           {self.elapsed_s:.0f} s",
            f"updates sent to the bot:               {self.updates_sent}",
            f"complaint updates (/lapor <text>):     {self.complaint_updates}",
            f"complaints filed:                      {self.complaints}",
            f"  missing / duplicate:                 {self.missing_complaints} / "
            f"{self.duplicate_complaints}",
            f"reporters without their number:        {self.acks_missing}",
            f"complaints in no ADB diagnosis:        {self.diagnoses_missing}",
            f"incidents (outages) they made:         {self.incidents}",
            f"Ya/Tidak presses / decisions recorded: {self.presses} / {self.decisions}",
            f"JF ADB/Kabid reports missing:          {self.reports_missing}",
            f"reporters' outcomes missing:           {self.outcomes_missing}",
            f"updates not stored / not handled:      {self.updates_not_stored} / "
            f"{self.inbox_unhandled}",
            f"presses handled again after a kill:    {self.presses_handled_again} "
            "(no effect: the complaint had moved on)",
            f"messages delivered twice (measured):   {self.duplicate_deliveries} "
            "(sent, then killed before the send was recorded)",
            f"integrity_check failures (every kill): {self.integrity_failures}",
            f"final SIGTERM: exit code {self.final_exit_code} after {self.final_stop_s:.1f} s",
            f"token occurrences in the bot's output: {self.token_in_logs}",
        ]


def write_config(path: Path, tcp_port: int) -> None:
    """Loopback targets only, short timeouts: a diagnosis takes about a second."""
    path.write_text(
        f"""
[[targets]]
name = "gateway"
host = "127.0.0.1"

[[services]]
name = "SIAK web"
host = "127.0.0.1"
port = {tcp_port}
software = true

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = 0.5

[grouping]
window_minutes = 0  # after a decision the next complaint opens a new incident: many storms
""",
        encoding="utf-8",
    )


def bot_env(stub: BotApiStub, db: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NETMAINT_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": stub.token,
            "TELEGRAM_API_BASE_URL": stub.base_url,
            "ADB_USER_IDS": str(ADB_ID),
            "JF_ADB_CHAT_ID": str(JF_CHAT),
            "KABID_CHAT_ID": str(KABID_CHAT),
            "NETMAINT_DB": str(db),
            "NETMAINT_CONFIG": str(config),
            "NETMAINT_POLL_TIMEOUT": "1",
            "NETMAINT_LANG": "id",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def start_bot(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The operator's command, as a child process."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "bot", "--env-file", os.devnull],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the bot's database (WAL: a reader while the bot writes is fine)."""
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def texts(stub: BotApiStub, chat: int) -> list[str]:
    """A chat's messages now; the stand-in's server threads may be adding one."""
    for _ in range(10):
        with contextlib.suppress(RuntimeError):
            return stub.texts(chat)
    return stub.texts(chat)


def tagged(items: list[str], cid: int, word: str = "") -> list[str]:
    pattern = re.compile(rf"#K{cid}(?!\d)")
    return [t for t in items if pattern.search(t) and word in t]


class Driver:
    """Plays the users and the ADB against the stand-in while the bot dies and restarts."""

    def __init__(self, stub: BotApiStub, rng: random.Random, users: int) -> None:
        self.stub = stub
        self.rng = rng
        self.users = [stub.user(FIRST_USER + i, f"Pelapor {i}") for i in range(users)]
        self.adb = stub.user(ADB_ID, "Andi ADB")
        self.lapor: dict[int, int] = {}  # update_id -> reporter's chat
        self.pressed: dict[int, str] = {}  # incident id -> "ya" | "no"
        self.sent: list[int] = []  # update ids of the messages
        self.query_ids: list[str] = []  # callback query ids of the presses

    async def file_complaints(self, count: int, spread_s: float) -> None:
        for i in range(count):
            user = self.users[i % len(self.users)]
            uid = self.stub.send_text(user, f"/lapor crash-loop {i}: jaringan mati")
            self.lapor[uid] = user["id"]
            self.sent.append(uid)
            await asyncio.sleep(self.rng.uniform(0, 2 * spread_s / max(count, 1)))

    def press_ready(self) -> int:
        """Press Ya or Tidak under every diagnosis that shows its buttons, once each."""
        n = 0
        for _ in range(10):
            with contextlib.suppress(RuntimeError):
                msgs = self.stub.chat_messages(ADB_ID)
                break
        else:
            return 0
        for m in msgs:
            for data in self.stub.buttons(m).values():
                cb = buttons.parse(data)
                if cb is None or cb.prefix != "dec" or cb.action not in ("ya", "no"):
                    continue
                if cb.id in self.pressed:
                    continue
                choice = self.rng.choice(("ya", "no"))
                self.pressed[cb.id] = choice
                self.query_ids.append(
                    self.stub.press(
                        self.adb, ADB_ID, m["message_id"], buttons.make("dec", cb.id, choice)
                    )
                )
                n += 1
        return n

    async def keep_pressing(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.press_ready()
            await asyncio.sleep(0.1)


async def until(pred: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def crash_loop(
    workdir: Path,
    *,
    kills: int = 20,
    complaints: int = 60,
    users: int = 30,
    seed: int | None = None,
    min_up_s: float = 0.3,
    max_up_s: float = 3.5,
    storm: int = 0,
    say: Callable[[str], None] = print,
) -> Figures:
    """Run the loop in ``workdir``; returns what it observed.

    ``storm``: 0 kills after an ordinary uptime each time; N > 0 kills N times in a row a
    moment (0-1.2 s) after the started bot's first log line (its imports done: it opens
    the database, migrates, resumes diagnoses, handles its backlog), then once after an
    ordinary uptime, also counted from that line (on a loaded machine the imports alone
    take longer than most ordinary uptimes).
    """
    seed = random.randrange(1 << 30) if seed is None else seed
    say(f"seed {seed}")
    rng = random.Random(seed)
    fig = Figures()
    began = time.monotonic()
    stormy = [bool(storm) and i % (storm + 1) != storm for i in range(kills)]
    uptimes = [rng.uniform(0.0, 1.2) if s else rng.uniform(min_up_s, max_up_s) for s in stormy]
    db, config, log = workdir / "netmaint.db", workdir / "netmaint.toml", workdir / "bot.log"

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    listener = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    write_config(config, listener.sockets[0].getsockname()[1])
    with BotApiStub() as stub:
        env = bot_env(stub, db, config)
        driver = Driver(stub, rng, users)
        stop_pressing = asyncio.Event()
        # Complaints keep coming for about as long as the kills last.
        feeding = asyncio.create_task(
            driver.file_complaints(complaints, sum(uptimes) + kills * 2.0)
        )
        pressing = asyncio.create_task(driver.keep_pressing(stop_pressing))
        proc: subprocess.Popen[bytes] | None = None
        try:
            for up, in_storm in zip(uptimes, stormy, strict=True):
                logged = log.stat().st_size if log.exists() else 0
                proc = start_bot(env, log)
                fig.starts += 1
                if storm:  # uptimes count from the end of its imports, not from the exec
                    with contextlib.suppress(TimeoutError):
                        await until(
                            lambda p=proc, n=logged: p.poll() is not None or log.stat().st_size > n,
                            20,
                            "the bot's first log line",
                        )
                await asyncio.sleep(up)
                if proc.poll() is not None:  # it ended by itself: a failed restart
                    fig.early_exits += 1
                    fig.notes.append(f"start {fig.starts} ended by itself: {proc.returncode}")
                    continue
                proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(proc.wait)
                fig.kills += 1
                fig.storm_kills += in_storm
                if db.exists() and integrity(db) != "ok":
                    fig.integrity_failures += 1
            await feeding
            # The last start runs until everything is done, then stops gracefully.
            logged = log.stat().st_size if log.exists() else 0
            proc = start_bot(env, log)
            fig.starts += 1

            def running() -> bool:  # SIGTERM before its handler is installed kills it
                with log.open("rb") as f:
                    f.seek(logged)
                    return b"bot running" in f.read()

            def done() -> bool:
                try:
                    return finished()
                except sqlite3.OperationalError:  # the new process has not migrated yet
                    return False

            def finished() -> bool:
                if not db.exists():
                    return False
                driver.press_ready()
                filed = query(
                    db,
                    "SELECT COUNT(DISTINCT source_update_id) FROM complaints"
                    " WHERE source_update_id IS NOT NULL",
                )[0][0]
                busy = query(
                    db,
                    "SELECT (SELECT COUNT(*) FROM inbox WHERE handled=0)"
                    " + (SELECT COUNT(*) FROM outbox WHERE state='pending')"
                    " + (SELECT COUNT(*) FROM complaints WHERE state='diagnosing')",
                )[0][0]
                decided = query(db, "SELECT COUNT(*) FROM incidents WHERE decided_at IS NOT NULL")[
                    0
                ][0]
                undecided = query(
                    db,
                    "SELECT COUNT(*) FROM complaints"
                    " WHERE state IN ('diagnosing', 'awaiting_decision')",
                )[0][0]
                return (
                    filed >= len(driver.lapor)
                    and busy == 0
                    and stub.pending_updates() == 0
                    and decided >= len(driver.pressed)
                    and undecided == 0
                )

            # The ADB's chat takes about one message a second (Telegram's flood limit).
            await until(done, 60 + 8 * complaints, "the bot to finish every complaint and press")
            stop_pressing.set()
            await pressing
            await until(running, 60, "the last start to be running")
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                fig.final_exit_code = await asyncio.wait_for(asyncio.to_thread(proc.wait), 30)
            except TimeoutError:
                fig.notes.append("the bot ignored SIGTERM")
            fig.final_stop_s = time.monotonic() - t0
            fig.elapsed_s = time.monotonic() - began
        finally:
            stop_pressing.set()
            for task in (feeding, pressing):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            listener.close()
        check(fig, stub, driver, db, log)
    return fig


def check(fig: Figures, stub: BotApiStub, driver: Driver, db: Path, log: Path) -> None:
    """Compare what the users sent with what the database and the chats show."""
    if integrity(db) != "ok":
        fig.integrity_failures += 1
    fig.updates_sent = len(driver.sent) + len(driver.query_ids)
    fig.complaint_updates = len(driver.lapor)
    rows = query(db, "SELECT id, source_update_id, reporter_chat_id, incident_id FROM complaints")
    fig.complaints = len(rows)
    by_update: dict[int, list[int]] = {}
    for cid, uid, _, _ in rows:
        by_update.setdefault(uid, []).append(cid)
    fig.missing_complaints = sum(1 for uid in driver.lapor if uid not in by_update)
    fig.duplicate_complaints = sum(len(c) - 1 for c in by_update.values()) + sum(
        len(c) for uid, c in by_update.items() if uid not in driver.lapor
    )
    adb = texts(stub, ADB_ID)
    jf, kabid = texts(stub, JF_CHAT), texts(stub, KABID_CHAT)
    for cid, _, chat, iid in rows:
        mine = texts(stub, chat)
        got_ack = tagged(mine, cid, "diterima")
        fig.acks_missing += not got_ack
        fig.duplicate_deliveries += max(0, len(got_ack) - 1)
        if not tagged(adb, cid, "Diagnosis"):  # its own, or its incident's list of tags
            fig.diagnoses_missing += 1
        choice = driver.pressed.get(iid)
        if choice is None:
            continue
        reports = tagged(kabid if choice == "ya" else jf, cid)
        fig.reports_missing += not reports
        fig.duplicate_deliveries += max(0, len(reports) - 1)
        word = "selesai" if choice == "ya" else "sedang ditangani"
        fig.outcomes_missing += not tagged(mine, cid, word)
    fig.incidents = query(db, "SELECT COUNT(*) FROM incidents")[0][0]
    fig.presses = len(driver.pressed)
    fig.decisions = query(db, "SELECT COUNT(*) FROM incidents WHERE decided_at IS NOT NULL")[0][0]
    fig.presses_handled_again = query(
        db, "SELECT COUNT(DISTINCT complaint_id || '/' || at) FROM timeline WHERE kind='stale'"
    )[0][0]
    inbox = query(db, "SELECT update_id, raw FROM inbox")
    stored = {r[0] for r in inbox}
    queries = {json.loads(raw).get("callback_query", {}).get("id") for _, raw in inbox}
    fig.updates_not_stored = sum(1 for uid in driver.sent if uid not in stored) + sum(
        1 for q in driver.query_ids if q not in queries
    )
    fig.inbox_unhandled = query(db, "SELECT COUNT(*) FROM inbox WHERE handled=0")[0][0]
    secret = stub.token.split(":", 1)[1]
    output = log.read_text(errors="replace") if log.exists() else ""
    fig.token_in_logs = output.count(secret)
    fig.transaction_errors = output.count("cannot start a transaction within a transaction")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--complaints", type=int, default=40)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--storm", type=int, default=0, help="kill N times in a row just after each start"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="netmaint-crash-"))
    try:
        fig = asyncio.run(
            crash_loop(
                work,
                kills=args.kills,
                complaints=args.complaints,
                users=args.users,
                seed=args.seed,
                storm=args.storm,
            )
        )
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    for line in fig.lines() + fig.notes:
        print(line)
    failed = fig.failures()
    print("RESULT:", "ok" if not failed else "FAILED: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
