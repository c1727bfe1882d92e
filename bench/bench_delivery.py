"""Benchmark: the outbox sender at Telegram's flood limits, with and without faults.

Queues messages for 50 private chats and 2 groups in a real SQLite file and
lets the real sender deliver them to the Bot API stand-in (tests/botapi_stub.py)
on 127.0.0.1, with Telegram's own limits (1/s per chat, 20/min per group,
30/s overall) in the sender and enforced by the stand-in (a 429 past them).
Then again with 20% of the calls failing (429 retry_after=1, 500, 502, late
answers, hangs, resets). Prints, per run: time, messages/s
against the 30/s limit, time against the fastest the limits allow, the
tightest spacing seen per chat and per group, retries, and the duplicates a
late answer caused next to the count the store kept of possible duplicates,
and the 429s the stand-in gave for a limit passed (goal 0).

    .venv/bin/python bench/bench_delivery.py [--chats 50 --per-chat 3 --per-group 20]

Loopback only; bounded (well under 3 minutes with the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from telegram import Bot  # noqa: E402

from bot.delivery.pacer import PacerLimits  # noqa: E402
from bot.delivery.queue import MessageQueue  # noqa: E402
from bot.delivery.sender import Sender, SenderOptions  # noqa: E402
from bot.render.views import Views  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.support.botapi_stub import BotApiStub  # noqa: E402

GROUPS = (-1001, -1002)
FAULT_KINDS = ("429", "500", "502", "late", "hang", "reset")
TIMEOUT_S = 2.0  # the sender's request timeout in this bench; late answers come after it


async def run_once(
    chats: int, per_chat: int, per_group: int, faults: float, limit_s: float
) -> dict[str, float]:
    limits = PacerLimits()
    with tempfile.TemporaryDirectory() as tmp, BotApiStub(enforce_limits=True) as stub:
        if faults:
            stub.inject_faults(
                faults, seed=42, kinds=FAULT_KINDS, retry_after=1, late_s=TIMEOUT_S + 0.5
            )
        bot = Bot(stub.token, base_url=stub.base_url)
        async with Database(Path(tmp) / "bench.db") as db, bot:
            targets = [(c, per_chat) for c in range(1, chats + 1)]
            targets += [(g, per_group) for g in GROUPS]
            async with db.write() as tx:  # interleaved, as a busy office would queue them
                for i in range(max(per_chat, per_group)):
                    for chat, n in targets:
                        if i < n:
                            await tx.outbox.enqueue(chat, "sendMessage", {"text": f"{chat}/{i}"})
            total = sum(n for _, n in targets)
            queue = MessageQueue(db, Views("id", ZoneInfo("Asia/Jakarta")), ())
            outbox = Sender(
                db,
                bot,
                queue,
                options=SenderOptions(
                    limits=limits,
                    backoff_base_s=0.5,
                    backoff_max_s=4,
                    request_timeout_s=TIMEOUT_S,
                    idle_poll_s=0.5,
                ),
            )
            start = time.monotonic()
            sender = asyncio.create_task(outbox.run())
            try:
                async with asyncio.timeout(limit_s):
                    while await db.reads.outbox.pending_count():
                        await asyncio.sleep(0.05)
            except TimeoutError:
                print(f"  stopped after {limit_s:.0f} s with rows still pending")
            elapsed = time.monotonic() - start
            outbox.stop()
            await asyncio.wait_for(sender, 10)
            stats = await db.reads.outbox.stats()
            counted = await db.reads.outbox.possible_duplicates()
        sends = [c for c in stub.calls_to("sendMessage") if c.carried_out]
        per_chat_gap = min(
            (
                b.at - a.at
                for chat, _ in targets
                if chat > 0
                for a, b in itertools.pairwise(stub.sent(chat))
            ),
            default=float("nan"),
        )
        group_max_min = max(
            (
                sum(1 for c in stub.sent(g) if s.at <= c.at < s.at + 60)
                for g in GROUPS
                for s in stub.sent(g)
            ),
            default=0,
        )
        busiest_s = max(
            (sum(1 for c in sends if s.at <= c.at < s.at + 1) for s in sends), default=0
        )
        # The fastest the limits allow: the busiest group after its burst, each chat's
        # spacing, and the overall rate after its burst.
        floor = max(
            (per_group - limits.group_burst) * 60 / limits.group_per_min,
            (per_chat - 1) * limits.per_chat_s,
            (total - limits.global_burst) / limits.global_per_s,
        )
        return {
            "rows": total,
            "sent": stats.get("sent", 0),
            "elapsed": elapsed,
            "rate": stats.get("sent", 0) / elapsed,
            "floor": floor,
            "attempts": stats["attempts"],
            "failures": stats["failures"],
            "faults": len(stub.injected),
            "retries": stats["attempts"] - total,
            "chat_gap": per_chat_gap,
            "group_per_min": group_max_min,
            "busiest_s": busiest_s,
            "duplicates": stub.duplicates(),
            "counted": counted,
            "late": len(stub.faults_of("late")),
            "limited": sum(stub.limited.values()),
        }


def show(title: str, r: dict[str, float]) -> None:
    lim = PacerLimits()
    print(f"\n{title}")
    print(f"  delivered           {r['sent']:.0f}/{r['rows']:.0f} in {r['elapsed']:.1f} s")
    print(
        f"  overall             {r['rate']:.1f} msg/s (limit {lim.global_per_s:.0f}/s: "
        f"{r['rate'] / lim.global_per_s:.2f}x); busiest second {r['busiest_s']:.0f} msgs"
    )
    print(
        f"  vs the fastest the limits allow ({r['floor']:.1f} s): {r['elapsed'] / r['floor']:.2f}x"
    )
    print(
        f"  tightest spacing in a chat {r['chat_gap']:.3f} s (limit {lim.per_chat_s:.1f} s); "
        f"most in a group in 60 s: {r['group_per_min']:.0f} "
        f"(limit {lim.group_per_min:.0f} + burst {lim.group_burst})"
    )
    print(
        f"  faults injected {r['faults']:.0f}; attempts {r['attempts']:.0f}, "
        f"retries {r['retries']:.0f} ({r['retries'] / r['rows']:.2f} per message), "
        f"transient failures {r['failures']:.0f}"
    )
    print(
        f"  duplicates seen {r['duplicates']:.0f} (late answers {r['late']:.0f}); "
        f"counted as possible by the store {r['counted']:.0f}"
    )
    print(f"  429s for a limit passed {r['limited']:.0f} (goal 0)")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chats", type=int, default=50)
    ap.add_argument("--per-chat", type=int, default=3)
    ap.add_argument("--per-group", type=int, default=20)
    ap.add_argument("--faults", type=float, default=0.2)
    ap.add_argument("--limit-s", type=float, default=110.0, help="give up a run after this")
    a = ap.parse_args()
    logging.getLogger("bot.delivery.sender").setLevel(logging.ERROR)  # the figures, not each retry
    clean = await run_once(a.chats, a.per_chat, a.per_group, 0.0, a.limit_s)
    show(f"no faults: {a.chats} chats x {a.per_chat} + {len(GROUPS)} groups x {a.per_group}", clean)
    faulty = await run_once(a.chats, a.per_chat, a.per_group, a.faults, a.limit_s)
    show(f"{a.faults:.0%} of calls failing", faulty)
    print(f"\n  time with faults / without: {faulty['elapsed'] / clean['elapsed']:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
