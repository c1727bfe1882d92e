"""Suite-wide plugins and fixtures: the secret audit (``tests/secret_audit.py``) runs in
every session; ``stub`` is the Bot API stand-in for integration and e2e tests alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import secret_audit
from tests.support.botapi_stub import BotApiStub


def pytest_configure(config: pytest.Config) -> None:
    """Count the test tokens in every DEBUG log record of the session; fail if any."""
    secret_audit.register(config)


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    """The Bot API stand-in on a loopback port, for one test."""
    with BotApiStub() as s:
        yield s
