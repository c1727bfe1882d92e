"""The inbox: an update Telegram sends is stored before it is confirmed and handled once.

Real bot (in-process ``run_bot``), the Bot API stand-in over real HTTP, a real
SQLite file. A crash "between the handler's commit and the inbox mark" is
reproduced exactly by clearing the mark in the file while the bot is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.support import e2e
from tests.support.botapi_stub import BotApiStub
from tests.support.clock import FakeClock
from tests.support.e2e import Bot, db_row, file, settled, until, wait_decision
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, JF_CHAT, USER_ID

WEBHOOK_SECRET = "s3cret-webhook-token-0123456789"  # module level: the secret audit reads it

# PTB cannot build an Update from these (no date/chat; a callback without chat_instance).
BROKEN = [
    {"message": {"message_id": 1, "text": "/lapor tanpa tanggal"}},
    {"callback_query": {"id": "77", "data": "dec 1 ya"}},
]


def push_raw(stub: BotApiStub, update: dict[str, Any]) -> int:
    """Queue an update exactly as given (the stand-in's own helpers only build valid ones)."""
    return stub._push(update)  # the stand-in's one way in; its owner keeps it stable


def acks(stub: BotApiStub, chat: int = USER_ID) -> list[str]:
    return [t for t in stub.texts(chat) if "diterima" in t]


async def test_unparsable_update_is_kept_marked_and_skipped(
    stub: BotApiStub, settings, config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = stub.user(USER_ID, "Rina")
    # One batch: a good complaint between two updates PTB cannot parse.
    bad1 = push_raw(stub, json.loads(json.dumps(BROKEN[0])))
    good = stub.send_text(user, "/lapor jaringan lantai 2 Kantor Dinas mati")
    bad2 = push_raw(stub, json.loads(json.dumps(BROKEN[1])))
    b = Bot(settings, config)
    await b.start()
    try:
        await until(lambda: acks(stub), what="the good update's acknowledgement")
        # The bot keeps going: a later complaint is filed too.
        await file(stub, user, "printer juga tidak bisa")
        db = settings.netmaint_db
        for bad, original in ((bad1, BROKEN[0]), (bad2, BROKEN[1])):
            handled, error, raw = db_row(
                db, "SELECT handled, error, raw FROM inbox WHERE update_id=?", bad
            )
            assert (handled, error) == (1, "unparsable")
            assert json.loads(raw) == {**original, "update_id": bad}, "raw JSON kept"
        assert db_row(db, "SELECT handled, error FROM inbox WHERE update_id=?", good) == (1, None)
        assert db_row(db, "SELECT COUNT(*) FROM complaints") == (2,)
        assert stub.pending_updates() == 0, "the offset moved past the bad updates"
    finally:
        await b.stop()
    warned = [r.getMessage() for r in caplog.records if "unparsable" in r.getMessage()]
    assert len(warned) == 2 and all(str(b) in " ".join(warned) for b in (bad1, bad2))
    assert stub.token.split(":", 1)[1] not in caplog.text


async def test_complaint_handled_again_after_a_crash_files_nothing_twice(
    stub: BotApiStub, bot: Bot
) -> None:
    user = stub.user(USER_ID, "Rina")
    uid = stub.send_text(user, "/lapor jaringan Kantor Dinas mati")
    tag = await until(lambda: acks(stub), what="ack")
    await wait_decision(stub, "#K1")
    await bot.stop()
    # The crash: the complaint was committed, the inbox row not yet marked handled.
    await _unmark(bot, uid)
    await bot.start()
    await until(
        lambda: (
            db_row(bot.settings.netmaint_db, "SELECT handled FROM inbox WHERE update_id=?", uid)
            == (1,)
        ),
        what="the update handled again",
    )
    await settled(bot.settings.netmaint_db)  # anything it wrongly queued is sent by now
    assert acks(stub) == tag, "one acknowledgement"
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == (1,)
    diag = [t for t in stub.texts(ADB_ID) if "Diagnosis keluhan #K1" in t]
    assert len(diag) == 1


async def test_press_handled_again_after_a_crash_reports_once(stub: BotApiStub, bot: Bot) -> None:
    user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
    await file(stub, user, "jaringan mati")
    msg = await wait_decision(stub, "#K1")
    stub.press(adb, ADB_ID, msg["message_id"], stub.buttons(msg)["❌ Tidak"])
    await until(lambda: stub.find(JF_CHAT, "#K1"), what="JF report")
    press_id = db_row(bot.settings.netmaint_db, "SELECT MAX(update_id) FROM inbox")[0]
    await bot.stop()
    await _unmark(bot, press_id)
    await bot.start()
    await until(
        lambda: (
            db_row(
                bot.settings.netmaint_db, "SELECT handled FROM inbox WHERE update_id=?", press_id
            )
            == (1,)
        ),
        what="the press handled again",
    )
    await settled(bot.settings.netmaint_db)
    assert len([t for t in stub.texts(JF_CHAT) if "#K1" in t]) == 1, "one JF report"
    assert db_row(
        bot.settings.netmaint_db, "SELECT COUNT(*) FROM timeline WHERE kind='decision'"
    ) == (1,)
    assert len([t for t in stub.texts(USER_ID) if "#K1 sedang ditangani" in t]) == 1


async def test_dialog_answer_handled_again_after_a_crash(stub: BotApiStub, bot: Bot) -> None:
    user = stub.user(USER_ID, "Rina")
    stub.send_text(user, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.press(user, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    uid = stub.send_text(user, "server tidak bisa di-ping")
    await until(lambda: acks(stub), what="ack")
    await bot.stop()
    # The crash right after the handler's first commit (filing): the dialog still open,
    # the update not marked. Handled again, it files nothing twice and closes the dialog.
    await _unmark(bot, uid, reopen_dialog=True)
    await bot.start()
    await until(
        lambda: (
            db_row(bot.settings.netmaint_db, "SELECT handled FROM inbox WHERE update_id=?", uid)
            == (1,)
        ),
        what="the answer handled again",
    )
    await settled(bot.settings.netmaint_db)
    assert len(acks(stub)) == 1
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM complaints") == (1,)
    assert db_row(bot.settings.netmaint_db, "SELECT COUNT(*) FROM dialogs") == (0,)


async def _unmark(bot: Bot, update_id: int, *, reopen_dialog: bool = False) -> None:
    """Put the database in the state a kill -9 right after the handler's commit leaves."""
    import sqlite3

    def run() -> None:
        db = sqlite3.connect(bot.settings.netmaint_db)
        try:
            with db:
                db.execute(
                    "UPDATE inbox SET handled=0, handled_at=NULL WHERE update_id=?", (update_id,)
                )
                if reopen_dialog:  # as the handler left it a moment ago
                    db.execute(
                        "INSERT INTO dialogs (user_id, chat_id, stage, site, updated_at)"
                        " VALUES (?, ?, 'text', 'Kantor Dinas', ?)",
                        (USER_ID, USER_ID, datetime.now(UTC).isoformat(timespec="microseconds")),
                    )
        finally:
            db.close()

    await asyncio.to_thread(run)


async def test_webhook_unparsable_update_answered_kept_and_skipped(
    stub: BotApiStub, settings, config
) -> None:
    port = free_port()
    secret = WEBHOOK_SECRET
    hooked = settings.model_copy(
        update={
            "netmaint_webhook_url": "https://bot.example.invalid/hook",
            "netmaint_webhook_secret": SecretStr(secret),
            "netmaint_webhook_listen": f"127.0.0.1:{port}",
        }
    )
    b = Bot(hooked, config)
    await b.start()
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    good = {
        "update_id": 41,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": "/lapor jaringan Kantor Dinas mati",
            "from": {"id": USER_ID, "is_bot": False, "first_name": "Rina"},
            "chat": {"id": USER_ID, "type": "private", "first_name": "Rina"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    try:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/hook"
            bad = await client.post(url, json={"update_id": 40, **BROKEN[0]}, headers=headers)
            assert bad.status_code == 200, "stored, so Telegram must not resend it forever"
            ok = await client.post(url, json=good, headers=headers)
            assert ok.status_code == 200
        await until(lambda: acks(stub), what="the good update's acknowledgement")
        db = hooked.netmaint_db
        await until(
            lambda: (
                db_row(db, "SELECT handled, error FROM inbox WHERE update_id=40")
                == (1, "unparsable")
            ),
            what="the bad update marked",
        )
        assert json.loads(db_row(db, "SELECT raw FROM inbox WHERE update_id=40")[0]) == {
            "update_id": 40,
            **BROKEN[0],
        }
        assert db_row(db, "SELECT COUNT(*) FROM complaints") == (1,)
    finally:
        await b.stop()


# --- issue 14: updates SQLite cannot store, a locked database, pruning ---------------------


def lone_surrogate(stub: BotApiStub, user: dict[str, Any]) -> int:
    """A message whose text holds a lone surrogate (JSON ``"\\ud800"``): valid JSON, but
    not storable as UTF-8 text."""
    return push_raw(
        stub,
        {
            "message": {
                "message_id": 77,
                "date": 1700000000,
                "from": user,
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "text": "/lapor jaringan \ud800 mati",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        },
    )


async def test_a_lone_surrogate_is_stored_escaped_and_skipped_and_polling_goes_on(
    stub: BotApiStub, settings, config
) -> None:
    user = stub.user(USER_ID, "Rina")
    bad = lone_surrogate(stub, user)
    good = stub.send_text(user, "/lapor printer Kantor Dinas mati")
    b = Bot(settings, config)
    await b.start()
    try:
        await until(lambda: acks(stub), what="the good update's acknowledgement")
        db = settings.netmaint_db
        handled, error, raw = db_row(
            db, "SELECT handled, error, raw FROM inbox WHERE update_id=?", bad
        )
        assert (handled, error) == (1, "unparsable")
        assert "\\ud800" in raw and json.loads(raw)["message"]["text"].endswith("\ud800 mati")
        assert db_row(db, "SELECT handled, error FROM inbox WHERE update_id=?", good) == (1, None)
        assert stub.pending_updates() == 0, "the offset moved past it"
        await b.restart()  # and it does not come back after a restart
        await file(stub, user, "scanner juga mati")
        assert db_row(db, "SELECT COUNT(*) FROM complaints") == (2,)
    finally:
        await b.stop()


async def test_webhook_lone_surrogate_is_answered_stored_escaped_and_skipped(
    stub: BotApiStub, settings, config
) -> None:
    port = free_port()
    hooked = settings.model_copy(
        update={
            "netmaint_webhook_url": "https://bot.example.invalid/hook",
            "netmaint_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "netmaint_webhook_listen": f"127.0.0.1:{port}",
        }
    )
    b = Bot(hooked, config)
    await b.start()
    body = (
        '{"update_id": 50, "message": {"message_id": 1, "date": 1700000000,'
        f' "text": "x \\ud800", "from": {{"id": {USER_ID}, "is_bot": false,'
        f' "first_name": "Rina"}}, "chat": {{"id": {USER_ID}, "type": "private"}}}}}}'
    )
    try:
        async with httpx.AsyncClient() as client:
            r = await client.post(
                f"http://127.0.0.1:{port}/hook",
                content=body,
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                    "Content-Type": "application/json",
                },
            )
        assert r.status_code == 200, "stored, so Telegram does not resend it forever"
        assert db_row(
            hooked.netmaint_db, "SELECT handled, error FROM inbox WHERE update_id=50"
        ) == (1, "unparsable")
    finally:
        await b.stop()


async def test_a_database_locked_longer_than_the_busy_timeout_is_waited_for(
    stub: BotApiStub, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program holds the write lock past SQLite's 10 s: the bot says so, waits,
    and handles the update once the lock is released (this test takes over 10 s)."""
    import sqlite3

    caplog.set_level(logging.WARNING, logger="bot.telegram.inbox")
    db = bot.settings.netmaint_db
    await settled(db)
    # Off the event loop: waiting here for the bot's own short write would block the bot.
    other = sqlite3.connect(db, isolation_level=None, timeout=30, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
        stub.send_text(stub.user(USER_ID, "Rina"), "/bantuan")
        await until(
            lambda: [r for r in caplog.records if "locked by another program" in r.getMessage()],
            timeout=30,
            what="the bot saying the database is locked",
        )
        assert bot.task is not None and not bot.task.done(), "the bot is still running"
    finally:
        await asyncio.to_thread(other.execute, "COMMIT")
        other.close()
    await until(
        lambda: [t for t in stub.texts(USER_ID) if "Bantuan" in t],
        timeout=30,
        what="the help reply after the lock was released",
    )
    await settled(db)


async def test_handled_updates_older_than_inbox_days_are_pruned_at_start(
    stub: BotApiStub, settings, config
) -> None:
    import sqlite3
    from datetime import UTC, datetime, timedelta

    b = Bot(settings, config)
    await b.start()
    await b.stop()  # the database exists, empty
    now = datetime.now(UTC)
    old, recent = (now - timedelta(days=31)).isoformat(), (now - timedelta(days=2)).isoformat()
    with sqlite3.connect(settings.netmaint_db) as conn:
        conn.executemany(
            "INSERT INTO inbox (update_id, raw, received_at, handled) VALUES (?, '{}', ?, ?)",
            [(1, old, 1), (2, old, 1), (3, recent, 1), (4, old, 1)],
        )
    conn.close()
    async with e2e.running(Bot(settings, config)):
        await until(
            lambda: db_row(settings.netmaint_db, "SELECT COUNT(*) FROM inbox") == (2,),
            what="the old handled updates pruned",
        )
        assert e2e.rows(settings.netmaint_db, "SELECT update_id FROM inbox ORDER BY 1") == [
            (3,),
            (4,),
        ], "recent ones kept, and the newest (polling resumes from it)"


async def test_prune_keeps_unhandled_updates_whatever_their_age(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.storage import Database

    now = datetime(2025, 1, 31, tzinfo=UTC)
    clock = FakeClock(now - timedelta(days=40))
    async with Database(tmp_path / "netmaint.db", clock=clock) as db:
        async with db.write() as tx:
            for uid in (1, 2, 3):
                await tx.inbox.add(uid, "{}")
            await tx.inbox.done(1)
        clock.now = now
        async with db.write() as tx:
            assert await tx.inbox.prune(now - timedelta(days=30)) == 1
        assert [u for u, _ in await db.reads.inbox.unhandled()] == [2, 3]
