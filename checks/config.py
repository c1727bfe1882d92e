"""The checks' part of the TOML file (``NETMAINT_CONFIG``, default ``netmaint.toml``).

What the SOP's checks and the agent need: targets to ping, services,
processes and units, the expected network settings, thresholds and the
agent's own section. The office's file also holds the bot's sections (sites,
vendors, limits: ``bot.settings.office.OfficeConfig`` extends ``CheckConfig``); the
parsing here is generic over the model, so both read the same file.
Every section is optional; with no file at all, the defaults check the
machine it runs on. A wrong value fails at start with an error that names
the key, e.g. ``targets[2].host: ...``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol, Self, TypeVar, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path("netmaint.toml")
TOP_LEVEL = "(top level)"  # the key of a problem with the whole file


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a setting, kept apart so a front end can word it in the
    operator's language (``str()`` of the error stays the English wording)."""

    key: str  # e.g. "services[0].port" or "TELEGRAM_BOT_TOKEN"
    kind: str  # pydantic's error type: "missing", "int_parsing", "value_error", ...
    detail: str  # the English wording of what is wrong


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what to fix."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class Section(BaseModel):
    """A table of the file: frozen, and a key it does not define is an error (a typo)."""

    # inf and nan are never a meaningful threshold or timeout: refuse them everywhere.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w .()/-]+$")]
_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?")


def _host(value: str) -> str:
    """An IP address or a DNS name the resolver accepts.

    Checked here, not at ping time: the resolver refuses an empty label ("...") or one
    over 63 characters with an exception, and one such name would turn the whole step
    into ERROR for every target, not just its own line.
    """
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    if len(value) > 253 or not all(len(lb) <= 63 and _LABEL.fullmatch(lb) for lb in labels):
        raise ValueError(
            f"{value!r} is neither an IP address nor a host name (labels of 1-63 letters, "
            "digits or -, separated by single dots), e.g. 192.168.10.1 or server.local"
        )
    return value


Host = Annotated[
    str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:_-]+$"), AfterValidator(_host)
]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


def unique_names(items: Sequence[_Named], key: str) -> None:
    """Refuse two entries of ``[[key]]`` whose names differ only in case or spaces.

    Names are how results, buttons and reports tell entries apart; "Kantor" and
    "kantor" would look like one office to the people reading them.
    """
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        folded = " ".join(item.name.split()).casefold()
        if folded in seen:
            first = seen[folded]
            raise ValueError(
                f"{key}[{i}].name: {item.name!r} repeats {key}[{first}].name "
                f"{items[first].name!r} (names are compared ignoring case); "
                "give each a different name"
            )
        seen[folded] = i


Port = Annotated[int, Field(ge=1, le=65535)]


def _ip_text(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address, e.g. 192.168.10.1") from None
    return value


IPText = Annotated[str, AfterValidator(_ip_text)]  # kept as text: checks compare strings


class Target(Section):
    """A host to ping in step 4 (gateway, servers, sub-district offices, outside)."""

    name: Name
    host: Host


class ServiceCheck(Section):
    """A TCP service that must accept connections (step 2 if ``software``, else step 5)."""

    name: Name
    host: Host = "127.0.0.1"
    port: Port
    software: bool = False  # true: database/application service checked in SOP step 2


class Process(Section):
    """A process that must be running on the server (step 5), matched by name."""

    name: Name


class Unit(Section):
    """A systemd unit that must be active (step 5)."""

    name: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w@.:-]+$")]


class Network(Section):
    """Expected IP settings of the office network (step 3); every key optional."""

    interface: str | None = None
    address: str | None = None  # CIDR, e.g. "192.168.10.5/24"
    gateway: IPText | None = None
    dns: tuple[IPText, ...] = ()
    min_speed_mbps: int | None = Field(default=None, ge=1)

    @field_validator("address")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                if "/" not in v:
                    raise ValueError
                ipaddress.ip_interface(v)
            except ValueError:
                raise ValueError("expected an address with prefix, e.g. 192.168.10.5/24") from None
        return v


class Thresholds(Section):
    """Limits that turn a measurement into warn/fail."""

    ping_count: int = Field(default=3, ge=1, le=20)
    ping_interval_s: float = Field(default=0.2, ge=0.0, le=5.0)
    ping_timeout_s: float = Field(default=1.0, gt=0.0, le=10.0)
    ping_loss_warn_pct: float = Field(default=1.0, ge=0, le=100)
    ping_loss_fail_pct: float = Field(default=50.0, ge=0, le=100)
    ping_rtt_warn_ms: float = Field(default=100.0, gt=0)
    ping_rtt_fail_ms: float = Field(default=500.0, gt=0)
    tcp_timeout_s: float = Field(default=3.0, gt=0.0, le=30.0)
    cpu_warn_pct: float = Field(default=85.0, ge=0, le=100)
    cpu_fail_pct: float = Field(default=95.0, ge=0, le=100)
    memory_warn_pct: float = Field(default=85.0, ge=0, le=100)
    memory_fail_pct: float = Field(default=95.0, ge=0, le=100)
    disk_warn_pct: float = Field(default=85.0, ge=0, le=100)
    disk_fail_pct: float = Field(default=95.0, ge=0, le=100)
    temperature_warn_c: float = Field(default=80.0)
    temperature_fail_c: float = Field(default=95.0)
    nic_errors_warn: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _warn_before_fail(self) -> Self:
        """A warning threshold above its failing one would never warn: refuse it."""
        for what in ("ping_loss", "ping_rtt", "cpu", "memory", "disk", "temperature"):
            unit = next(
                f.removeprefix(f"{what}_warn_")
                for f in type(self).model_fields
                if f.startswith(f"{what}_warn_")
            )
            warn, fail = getattr(self, f"{what}_warn_{unit}"), getattr(self, f"{what}_fail_{unit}")
            if warn > fail:
                raise ValueError(
                    f"thresholds.{what}_warn_{unit}: {warn:g} is above "
                    f"thresholds.{what}_fail_{unit} ({fail:g}); set the warning at or below "
                    "the failure"
                )
        return self


class Agent(Section):
    """Settings of ``netmaint agent`` on this server."""

    host: str = "127.0.0.1"
    port: Port = 8443
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow: tuple[str, ...] = ()  # client addresses or networks; empty = any
    max_concurrent: int = Field(default=4, ge=1, le=64)  # requests served at once
    queue_wait_s: float = Field(default=5.0, ge=0, le=60)  # a request waits this for a slot
    header_timeout_s: float = Field(default=5.0, ge=1, le=60)  # TLS handshake + request head
    idle_timeout_s: int = Field(default=5, ge=1, le=300)  # a kept-alive connection between requests
    # open connections from one client address (the whole listener takes at most 512)
    max_connections_per_address: int = Field(default=64, ge=1, le=512)

    @field_validator("allow")
    @classmethod
    def _networks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an address or network, e.g. 10.0.0.7 or 10.0.0.0/24"
                ) from None
        return v


class CheckConfig(Section):
    """What the checks and the agent read from the file."""

    targets: tuple[Target, ...] = ()
    services: tuple[ServiceCheck, ...] = ()
    processes: tuple[Process, ...] = ()
    units: tuple[Unit, ...] = ()
    network: Network = Network()
    thresholds: Thresholds = Thresholds()
    agent: Agent = Agent()

    @model_validator(mode="after")
    def _unique_check_names(self) -> Self:
        unique_names(self.targets, "targets")
        unique_names(self.services, "services")
        return self


C = TypeVar("C", bound=CheckConfig)


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that never leave this machine (plain HTTP is safe there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or TOP_LEVEL


def validation_problems(exc: ValidationError) -> tuple[Problem, ...]:
    """Each problem's key, kind and English wording."""
    found = []
    for err in exc.errors(include_input=False, include_url=False):
        # pydantic prefixes our own messages with "Value error, ": jargon to an operator.
        msg, key = err["msg"].removeprefix("Value error, "), _key_path(err["loc"])
        # A rule across keys names its own key (err["loc"] is only the table it is in).
        if (err["loc"] and msg.startswith(f"{key}.")) or not err["loc"]:
            key, _, msg = msg.partition(": ") if ": " in msg else (key, "", msg)
        found.append(Problem(key, str(err["type"]), msg))
    return tuple(found)


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line per problem: the key, what is wrong, and where."""
    lines = [f"{source}: invalid configuration"]
    lines += [
        f"  {p.detail}" if p.key == TOP_LEVEL else f"  {p.key}: {p.detail}"
        for p in validation_problems(exc)
    ]
    return "\n".join(lines)


# Overloads, because mypy rejects a default for a TypeVar-typed parameter (mypy#3737).
@overload
def parse_config(
    text: str, source: str = ..., *, skip_other_sections: bool = ...
) -> CheckConfig: ...
@overload
def parse_config(
    text: str, source: str = ..., *, model: type[C], skip_other_sections: bool = ...
) -> C: ...
def parse_config(
    text: str,
    source: str = "<config>",
    *,
    model: type[CheckConfig] = CheckConfig,
    skip_other_sections: bool = False,
) -> CheckConfig:
    """Parse TOML text into a validated ``model``, or raise ``ConfigError``.

    ``skip_other_sections=True`` skips top-level tables ``model`` does not
    define, naming them in one log line: the agent reads the office's file,
    whose ``[[sites]]`` and ``[[vendors]]`` belong to the bot. Keys inside the
    tables it does use stay strict.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source}: not valid TOML ({exc}); fix the file and start again"
        ) from None
    except RecursionError:  # tomllib recurses once per level of [[[...]]] or {a={b=...}}
        raise ConfigError(
            f"{source}: arrays or inline tables nested hundreds deep; this is not a netmaint "
            "configuration: fix the file and start again"
        ) from None
    if skip_other_sections:
        ignored = sorted(set(data) - set(model.model_fields))
        if ignored:
            log.info(
                "%s: skipped %s: not read here (another program's sections, or misspelt)",
                source,
                ", ".join(ignored),
            )
            data = {k: v for k, v in data.items() if k in model.model_fields}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source), validation_problems(exc)) from None


@overload
def load_config(path: Path | str | None, *, skip_other_sections: bool = ...) -> CheckConfig: ...
@overload
def load_config(
    path: Path | str | None, *, model: type[C], skip_other_sections: bool = ...
) -> C: ...
def load_config(
    path: Path | str | None,
    *,
    model: type[CheckConfig] = CheckConfig,
    skip_other_sections: bool = False,
) -> CheckConfig:
    """Read the config file into ``model``; a missing default file means built-in defaults.

    A path the operator named explicitly must exist.
    """
    p = DEFAULT_CONFIG_PATH if path is None else Path(path)
    if not p.exists():
        if path is not None:
            raise ConfigError(
                f"{p}: configuration file not found; create it from netmaint.example.toml "
                "or unset NETMAINT_CONFIG to use the defaults"
            )
        return model()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the configuration file ({exc})") from None
    return parse_config(text, str(p), model=model, skip_other_sections=skip_other_sections)
