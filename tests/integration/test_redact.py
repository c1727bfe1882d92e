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


WEBHOOK_SECRET = "webhook-secret-for-redact-tests-0123"  # module level: the audit reads it


async def test_verbose_logging_keeps_sql_parameters_out(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    """``netmaint bot -v``: DEBUG for the bot, but aiosqlite would log every SQL parameter
    (complaint texts, raw updates); its logger stays at WARNING."""
    from bot.cli.bot import configure_logging
    from bot.storage import Database

    sqlite_log = logging.getLogger("aiosqlite")
    sqlite_log.setLevel(logging.NOTSET)  # as in a fresh process
    words = "keluhan rahasia: printer di ruang Kabid mati"
    try:
        configure_logging(verbose=True)
        assert logging.getLogger("bot.telegram").isEnabledFor(logging.DEBUG)
        with caplog.at_level(logging.DEBUG):
            async with Database(tmp_path / "netmaint.db") as db, db.write() as tx:
                await tx.inbox.add(1, words)
        assert words not in caplog.text
        assert not [r for r in caplog.records if r.name.startswith("aiosqlite")]
    finally:
        sqlite_log.setLevel(logging.WARNING)


def test_the_bot_masks_every_secret_it_holds(caplog: pytest.LogCaptureFixture) -> None:
    """Bot token, webhook secret and each site's agent token, from the same environment."""
    from pydantic import SecretStr

    from bot.cli.bot import held_secrets
    from bot.settings.environment import Settings
    from bot.settings.office import OfficeConfig
    from checks.config import parse_config

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,  # type: ignore[call-arg]
        adb_user_ids=(1,),
        jf_adb_chat_id=-1,
        kabid_chat_id=-2,
        netmaint_webhook_url="https://bot.example.invalid/hook",
        netmaint_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )
    config = parse_config(
        '[[sites]]\nname = "Dinas"\nagent_url = "https://10.0.0.5:8443"\n'
        'agent_token_env = "AGENT_TOKEN_DINAS"\n[[sites]]\nname = "Lokal"\n',
        model=OfficeConfig,
    )
    held = held_secrets(settings, config, {"AGENT_TOKEN_DINAS": AGENT_TOKEN, "OTHER": "x"})
    assert set(held) == {TOKEN, WEBHOOK_SECRET, AGENT_TOKEN}
    redact.install(held)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("telegram.ext.ExtBot").debug(
            "Calling Bot API endpoint `setWebhook` with parameters `%s`",
            {"url": "https://bot.example.invalid/hook", "secret_token": WEBHOOK_SECRET},
        )
    assert WEBHOOK_SECRET not in caplog.text and redact.MASK in caplog.text
