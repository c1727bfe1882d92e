"""Every statement the bot runs in a storm uses an index on the tables that grow.

A full scan of complaints, timeline or outbox costs more with every complaint the
office ever filed: filing would slow as the agenda grows (issue 20). The statements
are the ones the real bot sent to SQLite while complaints were filed, diagnosed,
decided, reported and read back; each one's plan is asked of SQLite itself.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest

from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, settled, until, wait_decision
from tests.support.office import ADB_ID

# Tables that grow with every complaint, message and update; the others hold a row per
# site, chat, month or maintenance window.
GROWING = (
    "complaints",
    "incidents",
    "timeline",
    "outbox",
    "inbox",
    "audit",
    "vendor_calls",
    "incident_checks",
    "notices",
)


def _shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return " ".join(re.sub(r"\b\d+(\.\d+)?\b", "?", sql).split())


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Every statement run on a connection opened from now on (the bot's, in process)."""
    seen: set[str] = set()
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(lambda s: seen.add(_shape(s)))
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    yield seen


def _schema_only(db: str) -> sqlite3.Connection:
    """The bot's tables and indexes, empty and without statistics.

    SQLite rightly scans a table of six rows; with no statistics its planner assumes
    large tables, which is the office's database after a few years.
    """
    with sqlite3.connect(db) as source:
        ddl = [
            r[0]
            for r in source.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
                " ORDER BY type DESC"  # tables before indexes
            )
        ]
    conn = sqlite3.connect(":memory:")
    for statement in ddl:
        conn.execute(statement)
    return conn


def _full_scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    plan = conn.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?")).fetchall()
    return [
        row[3]
        for row in plan
        if re.match(rf"SCAN ({'|'.join(GROWING)})\b", row[3]) and "USING" not in row[3]
    ]


async def test_the_storm_path_scans_no_growing_table(
    statements: set[str], stub: BotApiStub, bot: Bot
) -> None:
    statements.clear()  # the start-up's migrations are not the storm's path
    for n, uid in enumerate(range(7300, 7306)):
        stub.send_text(
            stub.user(uid, f"Pelapor {n}"), f"/lapor internet loket {n} Kantor Dinas mati"
        )
    prompt = await wait_decision(stub, "#I1", everything="#K6")
    adb = stub.user(ADB_ID, "Andi ADB")
    stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["✅ Ya"])
    await until(lambda: [t for t in stub.texts(7300) if "selesai" in t], what="told")
    for command in ("/agenda", "/lacak 3", "/status"):
        stub.send_text(adb, command)
    await until(lambda: stub.find(ADB_ID, "Agenda Maintenance Jaringan"), what="agenda")
    await settled(bot.settings.netmaint_db)

    schema = _schema_only(str(bot.settings.netmaint_db))
    ran = sorted(s for s in statements if s.split(" ", 1)[0] in ("SELECT", "UPDATE", "DELETE"))
    assert any("FROM complaints" in s for s in ran), "the trace saw the bot's statements"
    scans = {s: found for s in ran if (found := _full_scans(schema, s))}
    assert scans == {}
