"""Suite-wide plugins: the secret audit (``tests/secret_audit.py``) runs in every session."""

from __future__ import annotations

import pytest

from tests import secret_audit


def pytest_configure(config: pytest.Config) -> None:
    """Count the test tokens in every DEBUG log record of the session; fail if any."""
    secret_audit.register(config)
