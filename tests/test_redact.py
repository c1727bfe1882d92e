"""Secrets never reach a log line, whatever shape they arrive in."""

import logging

import pytest

from checks import redact

# Built from parts so no secret scanner takes this fake for a committed real token.
TOKEN = "123456789:" + "AAHfakeTokenForTestsOnly_abcdefghijk"
AGENT_TOKEN = "agent-secret-0123456789"


@pytest.fixture(autouse=True)
def _install() -> None:
    redact.install([AGENT_TOKEN])


def test_token_in_message_args_and_traceback_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("netmaint.test")
    with caplog.at_level(logging.DEBUG):
        log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
        log.debug("agent token %s", AGENT_TOKEN)
        try:
            raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("send failed")
    text = caplog.text
    assert "send failed" in text and "RuntimeError" in text
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text
    assert AGENT_TOKEN not in text
    assert text.count(redact.MASK) >= 3


def test_malformed_format_string_still_logs_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("netmaint.test").warning("bad %d format", TOKEN)
    assert TOKEN not in caplog.text
    assert "bad %d format" in caplog.text


def test_ordinary_text_is_untouched() -> None:
    assert redact.redact("Komplain #K42 pukul 10:15:30") == "Komplain #K42 pukul 10:15:30"
