"""Property tests: random updates through the real bot, and 1,000 forged presses.

The real ``run_bot`` (own fetch loop, inbox, handlers, outbox) runs against the
Bot API stand-in over real HTTP with a real SQLite file; hypothesis pushes
random messages and button presses from random users in random chats. After
each example: no handler error (nothing logged at ERROR, no apology sent),
every queued or delivered message within 4,096 characters and valid Telegram
HTML, every button the bot made within 64 bytes, every press answered within
Telegram's 200 characters, and the token nowhere in what was sent or stored.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import buttons
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub, check_html
from tests.support.e2e import Bot, file, rows, until, wait_decision
from tests.support.office import (
    ADB2_ID,
    ADB_ID,
    FAST_CHECKS_TOML,
    JF_CHAT,
    KABID_CHAT,
    OTHER_ID,
    SITES_TOML,
    USER_ID,
    make_settings,
)

CONFIG = (
    FAST_CHECKS_TOML
    + SITES_TOML
    + """
[[vendors]]
name = "Telkom Indihome"
phone = "147"

[[vendors]]
name = "Vendor (Padang) - Co."
phone = "0751"

[limits]
complaints_per_user = 2
window_minutes = 10
# Off here: these tests push hundreds of presses per user to check each is refused on its
# own merits; the flood guard that would cut them short is tested in tests/e2e/test_gate.py.
updates_per_minute = 0

[grouping]
window_minutes = 0
"""
)

APOLOGY = "terjadi kesalahan"  # templates/id/error.html.j2 and answers.txt.j2
REFUSED_ANSWER = "hanya untuk petugas yang berwenang"


@dataclass
class World:
    """A running bot, its stand-in and its database, and what was pushed so far."""

    stub: BotApiStub
    bot: Bot
    db: Path
    pushed: int = 0

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        return rows(self.db, query, *params)

    async def settle(self) -> None:
        """Every pushed update handled, and no diagnosis still running."""
        await until(
            lambda: self.sql("SELECT COUNT(*) FROM inbox WHERE handled=1")[0][0] >= self.pushed,
            30,
            "every update handled",
        )
        await until(
            lambda: not self.sql("SELECT 1 FROM complaints WHERE state='diagnosing'"),
            30,
            "diagnoses finished",
        )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    with BotApiStub() as stub:
        s = make_settings(tmp_path / "netmaint.db", stub.token, stub.base_url)
        bot = Bot(s, parse_config(CONFIG, "properties.toml", model=OfficeConfig))
        await bot.start()
        try:
            yield World(stub, bot, s.netmaint_db)
        finally:
            await bot.stop()


# --- strategies ---------------------------------------------------------------------------

ODD = [
    "<",
    ">",
    "&",
    "&amp;",
    "<b>",
    "</i>",
    "<a href='x'>",
    "\u202e",
    "\u200f",
    "\u200e",
    "مرحبا بالعالم",
    "שלום",
    "😀",
    "👨‍👩‍👧",
    "🇮🇩",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\n\n\n",
    "#K1",
    "#K999999999999",
    "/lapor",
    "@netmaint_bot",
    "\ufeff",
    "𝕏",
    "‮",
]
# Any Unicode Telegram can carry (UTF-8 on the wire: no lone surrogates).
CHARS = st.characters(codec="utf-8")
PIECE = st.one_of(st.sampled_from(ODD), st.text(CHARS, max_size=30))


def _long(piece: str, times: int) -> str:
    return (piece * times)[:10_000]


TEXT = st.one_of(
    st.text(CHARS, max_size=100),
    st.lists(PIECE, max_size=40).map("".join),
    st.builds(_long, st.lists(PIECE, min_size=1, max_size=5).map("".join), st.integers(1, 10_000)),
)
COMMANDS = [
    "/lapor ",
    "/lapor",
    "/catat ",
    "/catat Pak Budi: ",
    "/lacak ",
    "/lacak",
    "/tiket ",
    "/tiket 1 ",
    "/agenda",
    "/start",
    "/bantuan",
    "/help",
    "/batal",
    "/nope ",
    "#K",
    "",
    "",
]
MESSAGE = st.one_of(
    st.builds(lambda cmd, text: (cmd + text)[:10_000], st.sampled_from(COMMANDS), TEXT),
    st.sampled_from(["#K1", "#K2", "/lacak 1", "/lacak 2", "/agenda", "/lapor"]),  # echo it all
)

USERS = st.one_of(
    st.sampled_from([USER_ID, OTHER_ID, 7003, ADB_ID, ADB2_ID]), st.integers(1, 2**40)
)
PREFIXES = ["dec", "jf", "ven", "lap", "zz", "DEC", "de"]
ACTIONS = ["ya", "no", "re", "fix", "ven", "0", "1", "7", "pick", "other", "cancel", "x", ""]
CALLBACK_DATA = st.one_of(
    st.builds(
        lambda p, i, a: f"{p} {i} {a}",
        st.sampled_from(PREFIXES),
        st.one_of(st.integers(0, 5), st.integers(0, 10**15)),
        st.sampled_from(ACTIONS),
    ),
    st.text(CHARS, max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.builds(
        lambda p, n: p + "9" * n,
        st.sampled_from(["dec 1", "ven 1 ", "lap 0 pick"]),
        st.integers(56, 200),
    ),
)


def _chat(user_id: int, pick: int) -> int:
    """Where the user acts: their private chat mostly, else a group (possibly a staff one)."""
    return [user_id, user_id, JF_CHAT, KABID_CHAT, -100999, ADB_ID][pick]


@st.composite
def updates(draw: st.DrawFn) -> Callable[[BotApiStub], None]:
    user_id = draw(USERS)
    chat = _chat(user_id, draw(st.integers(0, 5)))
    user = BotApiStub.user(user_id, draw(st.sampled_from(["Rina", "<i>X</i> & Y", "علي", "😀"])))
    if draw(st.booleans()):
        text = draw(MESSAGE)

        def write(stub: BotApiStub) -> None:
            stub.send_text(user, text, chat_id=chat)

        return write
    data, message_id = draw(CALLBACK_DATA), draw(st.integers(990, 1100))

    def press(stub: BotApiStub) -> None:
        stub.press(user, chat, message_id, data)

    return press


# --- what must hold after any input -------------------------------------------------------


def _buttons(markup: Any) -> list[str]:
    if not isinstance(markup, dict):
        return []
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def check_everything_sent(w: World, caplog: pytest.LogCaptureFixture) -> dict[str, int]:
    """The invariants over every queued row and every call the stand-in received."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
    assert not w.sql("SELECT update_id, error FROM inbox WHERE error IS NOT NULL")
    assert not w.sql("SELECT id, last_error FROM outbox WHERE state='failed'")
    secret = w.stub.token.split(":")[1]
    texts = []
    for (raw,) in w.sql("SELECT payload FROM outbox"):
        p = json.loads(raw)
        assert secret not in raw
        if "text" in p:
            texts.append(p["text"])
        for data in _buttons(p.get("reply_markup")):
            assert len(data.encode()) <= buttons.MAX_BYTES and buttons.parse(data), data
    for call in list(w.stub.calls):
        if "text" in call.params and call.method != "answerCallbackQuery":
            texts.append(call.params["text"])
        for data in _buttons(call.params.get("reply_markup")):
            assert len(data.encode()) <= buttons.MAX_BYTES, data
        if call.method == "answerCallbackQuery":
            assert len(call.params.get("text", "")) <= 200
            assert APOLOGY not in call.params.get("text", "")
    for text in texts:
        assert 0 < len(text) <= 4096, len(text)
        assert check_html(text) is None, (check_html(text), text[:300])
        assert APOLOGY not in text
        assert secret not in text
    return {"messages": len(texts), "calls": len(w.stub.calls)}


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(batch=st.lists(updates(), min_size=1, max_size=6))
async def test_random_updates_break_nothing(
    world: World, caplog: pytest.LogCaptureFixture, batch: list[Callable[[BotApiStub], None]]
) -> None:
    caplog.set_level(logging.INFO)
    for push in batch:
        push(world.stub)
    world.pushed += len(batch)
    await world.settle()
    check_everything_sent(world, caplog)


async def test_long_hostile_complaint_and_history_fit(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The worst case on purpose: 10,000 characters that all escape, shown back in full views."""
    caplog.set_level(logging.INFO)
    user = BotApiStub.user(USER_ID, "<b>Rina</b>")
    hostile = ("<&>\u202e😀 مرحبا\x07" * 1000)[:10_000]
    tag = await file(world.stub, user, hostile)
    await wait_decision(world.stub, tag)
    world.stub.send_text(user, f"/lacak {tag}")
    world.stub.send_text(BotApiStub.user(9100, "JF"), tag, chat_id=JF_CHAT)
    world.pushed = 3
    await world.settle()
    sent = check_everything_sent(world, caplog)
    await until(lambda: world.stub.find(JF_CHAT, f"Riwayat keluhan {tag}"), what="history")
    assert world.sql("SELECT length(text) FROM complaints") == [(10_000,)]
    assert sent["messages"] >= 5


# --- 1,000 forged presses -----------------------------------------------------------------

TELKOM, PADANG = buttons.key("Telkom Indihome"), buttons.key("Vendor (Padang) - Co.")


def _bot_buttons(w: World) -> list[str]:
    """Every button the bot has queued so far (read from the outbox, delivered or not)."""
    return sorted(
        {
            d
            for (raw,) in w.sql("SELECT payload FROM outbox")
            for d in _buttons(json.loads(raw).get("reply_markup"))
        }
    )


async def _states(w: World, *expected: str) -> None:
    await until(
        lambda: [s for (s,) in w.sql("SELECT state FROM complaints ORDER BY id")] == list(expected),
        20,
        f"states {expected}",
    )


async def _complaints_in_every_state(w: World) -> None:
    """K1 closed, K2 with a vendor called, K3 awaiting the decision, through real presses;
    one incident each (filed one after the other's decision, no grouping window).

    Driven by the database, not by delivered messages, so the sender's flood limits
    (1 message/s per chat) do not slow the set-up.
    """
    stub, adb, jf = w.stub, BotApiStub.user(ADB_ID, "Andi ADB"), BotApiStub.user(9100, "Joko JF")

    async def file(user_id: int, text: str, *states: str) -> None:
        # Naming a configured site files it without the site question.
        stub.send_text(BotApiStub.user(user_id, "Rina"), f"/lapor {text} di Kantor Dinas")
        await _states(w, *states)

    await file(USER_ID, "internet mati", "awaiting_decision")
    stub.press(adb, ADB_ID, 1, "dec 1 ya")
    await file(USER_ID, "SIAK lambat", "closed", "awaiting_decision")
    stub.press(adb, ADB_ID, 1, "dec 2 no")
    await _states(w, "closed", "escalated")
    stub.press(jf, JF_CHAT, 1, "jf 2 ven")
    await until(lambda: f"ven 2 {TELKOM}" in _bot_buttons(w), what="the vendor list")
    stub.press(jf, JF_CHAT, 1, f"ven 2 {TELKOM}")
    await file(OTHER_ID, "printer jaringan", "closed", "vendor", "awaiting_decision")
    assert w.sql("SELECT COUNT(*) FROM incidents") == [(3,)]


# Timeline rows a press could write, leaving out refusals and what the sender records as it
# delivers earlier messages (held back by the flood limits): "message", and a report's step_end.
HANDLER_ROWS = (
    "SELECT * FROM timeline WHERE kind NOT IN ('refused', 'message', 'unreachable')"
    " AND NOT (kind='step_end' AND actor_id IS NULL) ORDER BY id"
)


async def test_1000_forged_presses_change_nothing(world: World) -> None:
    stub, w = world.stub, world
    await _complaints_in_every_state(w)
    w.pushed = len(w.sql("SELECT 1 FROM inbox"))
    await w.settle()

    # Every button the bot made, and every valid-looking one it could have made.
    made = _bot_buttons(w)
    assert {"dec 1 ya", "jf 2 fix", f"ven 2 {PADANG}", "dec 3 no"} <= set(made), made
    forged = [
        f"{p} {cid} {a}"
        for cid in (1, 2, 3)
        for p, acts in (
            ("dec", ("ya", "no", "re")),
            ("jf", ("fix", "ven")),
            ("ven", ("0", "1", TELKOM, PADANG)),
        )
        for a in acts
    ]
    rng = random.Random(1000)
    intruders = [USER_ID, OTHER_ID, 7003, 424242, 10**12 + 7]
    before = {
        "complaints": w.sql("SELECT id, state, round, updated_at, closed_at FROM complaints"),
        "timeline": w.sql(HANDLER_ROWS),
        "outbox": w.sql("SELECT COUNT(*) FROM outbox"),
        "vendor_calls": w.sql("SELECT COUNT(*) FROM vendor_calls"),
        "audit": w.sql("SELECT COUNT(*) FROM audit")[0][0],
        "refused": w.sql("SELECT COUNT(*) FROM timeline WHERE kind='refused'")[0][0],
    }
    queries = []
    elsewhere = 0  # presses in a group the bot is not set up for: stopped before the SOP
    for _ in range(1000):  # one batch: pushed at once, fetched 100 per getUpdates
        user_id = rng.choice(intruders)
        chat = rng.choice([user_id, ADB_ID, ADB2_ID, KABID_CHAT, -100999])
        elsewhere += chat == -100999
        data = rng.choice(made if rng.random() < 0.5 else forged)
        queries.append(
            stub.press(BotApiStub.user(user_id, "Intruder"), chat, rng.randrange(1000, 1100), data)
        )
    w.pushed += 1000
    await w.settle()

    after_states = w.sql("SELECT id, state, round, updated_at, closed_at FROM complaints")
    changes = sum(a != b for a, b in zip(before["complaints"], after_states, strict=True))
    audit = w.sql(
        "SELECT outcome, kind, COUNT(*) FROM audit WHERE id > ? GROUP BY 1, 2", before["audit"]
    )
    refused = w.sql("SELECT COUNT(*) FROM timeline WHERE kind='refused'")[0][0] - before["refused"]
    answers = [stub.answers.get(q, {}).get("text", "") for q in queries]
    print(
        f"\nforged presses: 1000 -> state changes: {changes}, audit rows: {audit}, "
        f"timeline refusals: {refused}, refusal answers: "
        f"{sum(REFUSED_ANSWER in a for a in answers)}"
    )
    assert changes == 0 and after_states == before["complaints"]
    assert w.sql(HANDLER_ROWS) == before["timeline"], "no decision, state, call or re-check"
    # the one thing sent: group -100999 is told once that the bot is not set up there
    assert w.sql("SELECT COUNT(*) FROM outbox") == [(before["outbox"][0][0] + 1,)]
    assert w.sql("SELECT chat_id, purpose FROM outbox ORDER BY id DESC LIMIT 1") == [
        (-100999, "not_set_up")
    ]
    assert w.sql("SELECT COUNT(*) FROM vendor_calls") == before["vendor_calls"]
    assert audit == [("refused", "button", 1000)]
    assert refused == 1000 - elsewhere, "each refusal is also in its complaint's timeline"
    assert all(REFUSED_ANSWER in a for a in answers)
