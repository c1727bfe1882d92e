"""The TOML config: defaults without a file, and errors that name the bad key.

One file serves both programs: the bot reads it strictly as ``OfficeConfig``,
the agent as ``CheckConfig``, skipping the bot's sections.
"""

import logging
from pathlib import Path

import pytest

from bot.config import OfficeConfig, load_office_config
from checks.config import CheckConfig, ConfigError, load_config, parse_config


def test_no_file_at_default_path_gives_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.targets == ()
    assert config.thresholds.ping_timeout_s == 1.0


def test_explicit_missing_file_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found; create it from netmaint.example.toml"):
        load_config(tmp_path / "nope.toml")


def test_full_file_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text(
        """
[[targets]]
name = "gateway"
host = "127.0.0.1"

[[services]]
name = "Oracle listener"
port = 1521
software = true

[network]
address = "192.168.10.5/24"
gateway = "192.168.10.1"
dns = ["192.168.10.1"]

[[sites]]
name = "Kantor Dinas"
agent_url = "https://127.0.0.1:8443"
agent_token_env = "AGENT_TOKEN_DINAS"

[[vendors]]
name = "ISP"
phone = "0812"
""",
        encoding="utf-8",
    )
    config = load_office_config(path)
    assert config.targets[0].host == "127.0.0.1"
    assert config.services[0].software is True
    assert config.sites[0].agent_token_env == "AGENT_TOKEN_DINAS"
    assert config.vendors[0].name == "ISP"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[[targets]]\nname = "gw"\nhost = "a b"\n', "targets[0].host"),
        ('[[services]]\nname = "db"\nport = 70000\n', "services[0].port"),
        ('[network]\ngateway = "not-an-ip"\n', "network.gateway"),
        ('[network]\ndns = ["10.0.0.1", "x"]\n', "network.dns[1]"),
        ('[network]\naddress = "10.0.0.1"\n', "network.address"),
        ("[thresholds]\nping_timeout_s = -1\n", "thresholds.ping_timeout_s"),
        ('[[targets]]\nname = "gw"\nhost = "127.0.0.1"\ncolour = "red"\n', "targets[0].colour"),
        ('[tresholds]\nping_count = 3\n', "tresholds"),
    ],
)
def test_bad_value_names_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "netmaint.toml")
    assert key in str(info.value)
    assert str(info.value).startswith("netmaint.toml: invalid configuration")


def test_broken_toml_says_so_without_a_traceback_chain() -> None:
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        parse_config("[[targets]\nname=", "netmaint.toml")
    assert info.value.__cause__ is None


OFFICE = """
[[targets]]
name = "gateway"
host = "127.0.0.1"

[[sites]]
name = "Kantor Dinas"

[[vendors]]
name = "ISP"

[limits]
complaints_per_user = 3
"""


def test_the_checks_alone_refuse_the_bots_sections_by_default() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(OFFICE, "netmaint.toml")
    assert "  sites: " in str(info.value) and "  limits: " in str(info.value)


def test_the_agent_skips_the_bots_sections_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="checks.config"):
        config = parse_config(OFFICE, "netmaint.toml", skip_other_sections=True)
    assert type(config) is CheckConfig and config.targets[0].name == "gateway"
    [record] = [r for r in caplog.records if r.name == "checks.config"]
    assert "netmaint.toml: skipped limits, sites, vendors" in record.getMessage()


def test_skipping_other_sections_keeps_the_checks_own_keys_strict() -> None:
    with pytest.raises(ConfigError, match=r"thresholds\.ping_cuont"):
        parse_config(OFFICE + "[thresholds]\nping_cuont = 2\n", skip_other_sections=True)


def test_the_bot_reads_the_same_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "netmaint.toml"
    path.write_text(OFFICE, encoding="utf-8")
    config = load_office_config(path)
    assert type(config) is OfficeConfig
    assert (config.sites[0].name, config.vendors[0].name) == ("Kantor Dinas", "ISP")
    assert config.limits.complaints_per_user == 3
    assert load_config(path, skip_other_sections=True).targets == config.targets


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[limts]\ncomplaints_per_user = 3\n', "limts"),
        ('[[sites]]\nname = "Dinas"\nagent_uri = "https://10.0.0.5:8443"\n', "sites[0].agent_uri"),
        ('[[vendors]]\nname = "ISP"\nphone = 147\n', "vendors[0].phone"),
    ],
)
def test_the_bot_names_a_misspelt_or_bad_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "netmaint.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_office_config(path)
    assert str(info.value).startswith(f"{path}: invalid configuration")
    assert f"  {key}: " in str(info.value)


def test_the_bot_without_a_file_gets_the_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_office_config(None)
    assert type(config) is OfficeConfig and config.sites == ()
    assert config.limits.window_minutes == 30
