"""A NETMAINT_DB the bot cannot use: named with the fix, non-zero exit, the file untouched.

``python -m bot bot`` as an operator runs it (like ``tests/integration/test_bot_config.py``); the
database is opened before Telegram is called, so the Bot API address is never reached.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings.environment import EXPECTED
from bot.storage import Database

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:" + "AAH-db-path-test-token-0123456789"  # fake, built from parts
ENV_NAMES = tuple(EXPECTED)  # every variable the bot reads


def netmaint_bot(
    cwd: Path, db: Path, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=TOKEN,
        ADB_USER_IDS="1",
        JF_ADB_CHAT_ID="-1",
        KABID_CHAT_ID="-2",
        NETMAINT_DB=str(db),
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", "bot"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder and its bytes (a -wal or -shm file appearing counts)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def refused(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "NETMAINT_DB=" in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert TOKEN.split(":")[1] not in proc.stderr + proc.stdout


def test_a_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    refused(netmaint_bot(tmp_path, tmp_path / "data"), "is a folder", "data/netmaint.db")
    assert list((tmp_path / "data").iterdir()) == []


def test_random_bytes(tmp_path: Path) -> None:
    db = tmp_path / "data" / "netmaint.db"
    db.parent.mkdir()
    db.write_bytes(bytes(range(256)) * 64)
    before = snapshot(db.parent)
    refused(netmaint_bot(tmp_path, db), "not an SQLite database", "left as it was")
    assert snapshot(db.parent) == before


def test_another_programs_database_is_not_switched_to_wal(tmp_path: Path) -> None:
    db = tmp_path / "data" / "inventory.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Budi')")
    conn.close()
    before = snapshot(db.parent)
    refused(netmaint_bot(tmp_path, db), "another program's SQLite database", "customers")
    assert snapshot(db.parent) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_a_database_from_a_newer_netmaint(tmp_path: Path) -> None:
    db = tmp_path / "netmaint.db"
    asyncio.run(_create(db))
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=9999")
    conn.close()
    before = snapshot(tmp_path)
    refused(netmaint_bot(tmp_path, db), "newer netmaint")
    assert snapshot(tmp_path) == before


def test_a_missing_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the folder should be\n")
    refused(
        netmaint_bot(tmp_path, tmp_path / "data" / "sub" / "netmaint.db"),
        "cannot create its folder",
    )
    assert (tmp_path / "data").read_text() == "a file where the folder should be\n"


async def _create(db: Path) -> None:
    async with Database(db):
        pass


def test_a_read_only_database(tmp_path: Path) -> None:
    """Read-only for the bot's user, or (as root, who may write anyway) a read-only mount."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "netmaint.db"
    asyncio.run(_create(db))
    before = snapshot(folder)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if (
            shutil.which("unshare") is None
            or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0
        ):
            pytest.skip("root without mount namespaces cannot make a file read-only to itself")
        prefix = (
            "unshare",
            "-m",
            "sh",
            "-c",
            f'mount --bind -o ro "{folder}" "{folder}" && exec "$0" "$@"',
        )
    else:
        db.chmod(0o444)
        folder.chmod(0o555)
    try:
        refused(netmaint_bot(tmp_path, db, prefix), "read-only")
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert snapshot(folder) == before


async def test_a_new_path_still_starts_an_empty_database(tmp_path: Path) -> None:
    """The checks refuse nothing the bot made: a new file, then the same file again."""
    db = tmp_path / "new" / "deeper" / "netmaint.db"
    async with Database(db) as first:
        version = await first.connection.execute_fetchall("PRAGMA user_version")
    async with Database(db) as again:
        assert await again.connection.execute_fetchall("PRAGMA user_version") == version
