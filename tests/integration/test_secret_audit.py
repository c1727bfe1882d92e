"""The whole-suite secret audit can fail: a leaked token fails the session, and says where."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LEAKY = """
import logging

LEAK_TOKEN = "987654321:" + "leaky-secret-for-the-audit-test-0123"  # fake, built from parts

def test_logs_the_token():
    logging.getLogger("leaky").debug("GET /bot%s/getMe", LEAK_TOKEN)
"""

CLEAN = """
import logging

LEAK_TOKEN = "987654321:" + "leaky-secret-for-the-audit-test-0123"  # fake, built from parts

def test_logs_no_token():
    logging.getLogger("clean").debug("GET /bot[REDACTED]/getMe")
"""


def _pytest(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.secret_audit",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_a_leaked_token_fails_the_session(tmp_path: Path) -> None:
    proc = _pytest(tmp_path, LEAKY)
    assert "token occurrences in DEBUG logs: 1 " in proc.stdout, proc.stdout
    assert "test_sample.py::test_logs_the_token / leaky" in proc.stdout
    assert "1 passed" in proc.stdout and proc.returncode == 1


WEBHOOK_LEAK = """
import logging

WEBHOOK_SECRET = "s3cret-for-the-audit-test-" + "0123456789"

def test_logs_the_webhook_secret():
    logging.getLogger("telegram.ext").debug("setWebhook {'secret_token': '%s'}", WEBHOOK_SECRET)
"""


def test_a_leaked_webhook_secret_fails_the_session_too(tmp_path: Path) -> None:
    """Every secret the bot holds is audited, not only names ending in TOKEN."""
    proc = _pytest(tmp_path, WEBHOOK_LEAK)
    assert "token occurrences in DEBUG logs: 1 " in proc.stdout, proc.stdout
    assert "test_logs_the_webhook_secret / telegram.ext" in proc.stdout
    assert proc.returncode == 1


def test_no_leak_passes(tmp_path: Path) -> None:
    proc = _pytest(tmp_path, CLEAN)
    assert "token occurrences in DEBUG logs: 0 " in proc.stdout, proc.stdout
    assert proc.returncode == 0


def test_every_entry_point_redacts_its_log_lines(tmp_path: Path) -> None:
    """bot, agent and diagnose each install the redaction before they log anything."""
    token = "123456789:" + "AAH-entry-point-secret-0123456789abcdef"  # fake, built from parts
    script = f"""
import logging, sys
from bot.cli import diagnose
diagnose.main(["--step", "3", "--json"])
logging.getLogger("after").warning("GET /bot{token}/getMe")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETMAINT_CONFIG": ""}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert "GET /bot[REDACTED]/getMe" in proc.stderr, proc.stderr
    assert token.split(":")[1] not in proc.stderr + proc.stdout
    for module in (
        "bot/telegram/app.py",
        "bot/cli/bot.py",
        "checks/agent/cli.py",
        "bot/cli/diagnose.py",
    ):
        assert "redact.install(" in (ROOT / module).read_text(), module
