"""The TOML config: defaults without a file, and errors that name the bad key.

One file serves both programs: the bot reads it strictly as ``OfficeConfig``,
the agent as ``CheckConfig``, skipping the bot's sections.
"""

import logging
from pathlib import Path

import pytest

from bot.settings.office import OfficeConfig, load_office_config
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
        ("[tresholds]\nping_count = 3\n", "tresholds"),
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
        ("[limts]\ncomplaints_per_user = 3\n", "limts"),
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


# Issue 14, finding 5: values that passed before and broke a step or the start-up later.
KANTOR_TWICE = {
    "targets": '[[targets]]\nname = "Kantor"\nhost = "10.0.0.1"\n'
    '[[targets]]\nname = "kantor"\nhost = "10.0.0.2"\n',
    "services": '[[services]]\nname = "SIAK web"\nport = 80\n'
    '[[services]]\nname = "siak  WEB"\nport = 81\n',
    "sites": '[[sites]]\nname = "Kantor"\n[[sites]]\nname = "kantor"\n',
    "vendors": '[[vendors]]\nname = "Telkom"\n[[vendors]]\nname = "TELKOM"\n',
}


@pytest.mark.parametrize("key", sorted(KANTOR_TWICE))
def test_names_that_differ_only_in_case_are_refused(tmp_path: Path, key: str) -> None:
    path = tmp_path / "netmaint.toml"
    path.write_text(KANTOR_TWICE[key], encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_office_config(path)
    assert f"  {key}[1].name: " in str(info.value)
    assert f"repeats {key}[0].name" in str(info.value)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("...", "empty labels"),
        ("a" * 64 + ".example", "a 64-character label"),
        ("-gw.local", "a label starting with -"),
        ("gw..local", "an empty label inside"),
    ],
)
def test_a_host_the_resolver_would_refuse_is_refused_at_load(host: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(f'[[targets]]\nname = "gw"\nhost = "{host}"\n', "netmaint.toml")
    assert "  targets[0].host: " in str(info.value), why
    assert "neither an IP address nor a host name" in str(info.value)


@pytest.mark.parametrize(
    "host",
    [
        "gw",
        "server-1.kantor.local",
        "server.local.",
        "10.0.0.1",
        "fe80::1",
        "a" * 63 + ".example",
        "_sip.kantor",
    ],
)
def test_valid_hosts_still_load(host: str) -> None:
    assert parse_config(f'[[targets]]\nname = "gw"\nhost = "{host}"\n').targets[0].host == host


@pytest.mark.parametrize("what", ["ping_loss", "cpu", "memory", "disk"])
def test_a_warning_above_its_failure_is_refused(what: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(f"[thresholds]\n{what}_warn_pct = 90\n{what}_fail_pct = 80\n", "netmaint.toml")
    assert f"  thresholds.{what}_warn_pct: 90 is above thresholds.{what}_fail_pct (80)" in str(
        info.value
    )


def test_warning_equal_to_failure_is_fine() -> None:
    t = parse_config("[thresholds]\nping_rtt_warn_ms = 300\nping_rtt_fail_ms = 300\n").thresholds
    assert t.ping_rtt_warn_ms == t.ping_rtt_fail_ms == 300


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "+inf"])
@pytest.mark.parametrize(
    "key",
    [
        "thresholds.ping_rtt_fail_ms",
        "thresholds.temperature_fail_c",
        "sla.total_minutes",
        "grouping.window_minutes",
    ],
)
def test_inf_and_nan_are_refused(tmp_path: Path, key: str, value: str) -> None:
    table, name = key.split(".")
    path = tmp_path / "netmaint.toml"
    path.write_text(f"[{table}]\n{name} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_office_config(path)
    assert f"  {key}: " in str(info.value)


@pytest.mark.parametrize(
    "deep", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 5000 + "1" + "}" * 5000]
)
def test_deep_nesting_is_a_config_error_not_a_traceback(deep: str) -> None:
    with pytest.raises(ConfigError, match="nested") as info:
        parse_config(deep, "netmaint.toml")
    assert info.value.__cause__ is None and str(info.value).startswith("netmaint.toml: ")


def test_the_new_limits_have_their_defaults_and_are_checked(tmp_path: Path) -> None:
    limits = OfficeConfig().limits
    assert (limits.updates_per_minute, limits.adb_updates_per_minute, limits.inbox_days) == (
        20,
        120,
        30,
    )
    path = tmp_path / "netmaint.toml"
    path.write_text("[limits]\ninbox_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"  limits\.inbox_days: "):
        load_office_config(path)
