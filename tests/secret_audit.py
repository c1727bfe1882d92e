"""Whole-suite secret audit: every log record at DEBUG, searched for the tests' tokens.

Registered by ``tests/conftest.py`` (or ``-p tests.secret_audit``). A root
handler at DEBUG sees every record of the session as a real handler would
(message, arguments and traceback formatted); at the end the plugin prints
``token occurrences in DEBUG logs: N`` and fails the session when N > 0.
The secrets are the stand-in's default token and every module-level string
of the collected test modules named like a secret the bot holds: ``*TOKEN``
(bot and agent tokens), ``*SECRET`` (the webhook secret), ``*PASSWORD``; so a
new test's secret is audited too. Keep test secrets at module level for that.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections import Counter

import pytest

from tests.support.botapi_stub import BotApiStub

# The stand-in's token (the one every e2e test uses), read from its signature to stay in sync.
TEST_BOT_TOKEN: str = inspect.signature(BotApiStub).parameters["token"].default
# TOKEN, AGENT_TOKEN, SECRET, WEBHOOK_SECRET; not TOKEN_ENV (the name of a variable).
_NAME = re.compile(r"(^|_)(TOKEN|SECRET|PASSWORD)S?$")
_BOT_TOKEN = re.compile(r"\d+:(?P<secret>.{10,})")


def needles(tokens: set[str]) -> set[str]:
    """What must not appear: a bot token's secret part (it is the secret), else the token."""
    out = set()
    for token in tokens:
        m = _BOT_TOKEN.fullmatch(token)
        out.add(m.group("secret") if m else token)
    return out


class _Counting(logging.Handler):
    """Formats each record like a real handler and counts the needles in it."""

    def __init__(self, audit: SecretAudit) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.audit = audit

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record we cannot format cannot leak through a handler either
            return
        self.audit.seen(record, text)


class SecretAudit:
    """The plugin object: collects tokens, counts them in the logs, fails the session."""

    def __init__(self) -> None:
        self.tokens: set[str] = {TEST_BOT_TOKEN}
        self.count = 0
        self.records = 0
        self.where: Counter[str] = Counter()  # "test id / logger" -> occurrences
        self.current = "(outside a test)"
        self.handler = _Counting(self)
        self._needles = needles(self.tokens)

    def seen(self, record: logging.LogRecord, text: str) -> None:
        self.records += 1
        n = sum(text.count(s) for s in self._needles)
        if n:
            self.count += n
            self.where[f"{self.current} / {record.name}"] += n

    def install(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for module in {item.module for item in items if isinstance(item, pytest.Function)}:
            for name, value in vars(module).items():
                if _NAME.search(name) and isinstance(value, str) and len(value) >= 16:
                    self.tokens.add(value)
        self._needles = needles(self.tokens)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.current = nodeid

    def pytest_runtest_logfinish(self) -> None:
        self.current = "(outside a test)"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        logging.getLogger().removeHandler(self.handler)
        if self.count and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(
            f"token occurrences in DEBUG logs: {self.count} "
            f"({len(self.tokens)} test tokens, {self.records} records)"
        )
        for where, n in self.where.most_common(10):
            terminalreporter.write_line(f"  {n} in {where}", red=True)


def register(config: pytest.Config) -> None:
    """Install the audit for this session (once)."""
    if config.pluginmanager.has_plugin("secret-audit"):
        return
    audit = SecretAudit()
    audit.install()
    config.pluginmanager.register(audit, "secret-audit")


def pytest_configure(config: pytest.Config) -> None:
    """Used when loaded with ``-p tests.secret_audit``."""
    register(config)
