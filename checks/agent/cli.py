"""``netmaint agent``: serve this server's diagnostics to the bot over HTTPS.

Everything that can be wrong (config, token, certificate, an open listener
without TLS) is checked before uvicorn starts, so the operator reads one
sentence saying what to fix instead of a traceback. ``--check`` stops there
and prints what would be served. The token is never printed or logged.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from checks.agent.api import DIAGNOSE_PATH, HARDWARE_PATH, HEALTH_PATH, VERSION_PATH
from checks.agent.guard import MAX_BODY_BYTES, parse_allow
from checks.agent.listener import serves_ipv4
from checks.config import CheckConfig, ConfigError, is_loopback_host, load_config

log = logging.getLogger(__name__)

MIN_TOKEN_CHARS = 16
SETUP_HINT = (
    "make one with:  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'\n"
    "then put the line  AGENT_TOKEN=<that value>  in a file named .env in the folder "
    "where you start the agent (or export AGENT_TOKEN), and give the bot the same value "
    "in the variable named by agent_token_env in its [[sites]] entry"
)
ENDPOINTS = (
    f"GET {HEALTH_PATH}",
    f"GET {VERSION_PATH}",
    f"POST {DIAGNOSE_PATH}",
    f"GET {HARDWARE_PATH}",
)


class AgentSettings(BaseSettings):
    """Secrets and paths from the environment or ``.env``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    agent_token: SecretStr | None = None
    netmaint_config: Path | None = None


@dataclass(frozen=True)
class Plan:
    """What ``netmaint agent`` would serve, once everything is validated."""

    config: CheckConfig
    config_source: str
    host: str
    port: int
    tls: tuple[Path, Path] | None
    token: SecretStr | None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        help="address to listen on (default: [agent] host in the config, else 127.0.0.1; "
        "0.0.0.0 listens on every interface and needs TLS)",
    )
    parser.add_argument("--port", type=_port, help="TCP port (default: [agent] port, else 8443)")
    parser.add_argument(
        "--config", type=Path, help="TOML config (default: $NETMAINT_CONFIG, else netmaint.toml)"
    )
    parser.add_argument(
        "--check", action="store_true", help="validate the config and print what would be served"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )


def _port(text: str) -> int:
    """argparse would otherwise say "invalid _port value", which names our function."""
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is a number from 1 to 65535")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        plan = make_plan(args, AgentSettings())
    except ConfigError as exc:
        print(f"netmaint agent: {exc}", file=sys.stderr)
        return 2
    token_problem = _token_problem(plan.token)
    if args.check:
        print(describe(plan))
        if token_problem:
            print(f"\nnot ready: {token_problem}\n{SETUP_HINT}", file=sys.stderr)
            return 2
        return 0
    if token_problem:
        print(f"netmaint agent: {token_problem}\n{SETUP_HINT}", file=sys.stderr)
        return 2
    assert plan.token is not None
    return _serve(plan, plan.token, args.log_level)


def make_plan(args: argparse.Namespace, settings: AgentSettings) -> Plan:
    """Validate config, listen address and TLS files; raise ``ConfigError`` naming the fix."""
    path = args.config or settings.netmaint_config
    config = load_config(path, skip_other_sections=True)  # may hold the bot's sections
    source = str(path) if path is not None else "built-in defaults (no netmaint.toml here)"
    if path is None and Path("netmaint.toml").exists():
        source = "netmaint.toml"
    host = args.host or config.agent.host
    port = args.port or config.agent.port
    tls = _tls_files(config)
    if tls is None and not is_loopback_host(host):
        raise ConfigError(
            f"listening on {host} without TLS would send the token in clear text; set "
            "tls_cert and tls_key in the [agent] section (see the README for the openssl "
            "command), or listen on 127.0.0.1"
        )
    return Plan(config, source, host, port, tls, settings.agent_token)


def _tls_files(config: CheckConfig) -> tuple[Path, Path] | None:
    cert, key = config.agent.tls_cert, config.agent.tls_key
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("[agent] needs both tls_cert and tls_key, or neither")
    for name, path in (("tls_cert", cert), ("tls_key", key)):
        if not path.is_file():
            raise ConfigError(f"[agent] {name}: {path} does not exist or is not a file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"[agent] tls_cert/tls_key: cannot use {cert} with {key} ({exc.strerror or exc}); "
            "check that the key belongs to the certificate and both are PEM files"
        ) from None
    return cert, key


def _token_problem(token: SecretStr | None) -> str | None:
    value = token.get_secret_value().strip() if token else ""
    if not value:
        return "AGENT_TOKEN is not set, and the agent never runs without a token"
    if len(value) < MIN_TOKEN_CHARS:
        return f"AGENT_TOKEN is too short ({len(value)} characters; use {MIN_TOKEN_CHARS} or more)"
    return None


def describe(plan: Plan) -> str:
    """What the agent would serve, for ``--check`` (no secret in it)."""
    cfg = plan.config
    token = plan.token.get_secret_value().strip() if plan.token else ""
    loopback = is_loopback_host(plan.host)
    tls = (
        f"cert {plan.tls[0]}, key {plan.tls[1]} (they match)"
        if plan.tls
        else "off (plain HTTP, allowed on loopback only)"
    )
    reach = "this machine only" if loopback else "from the network"
    if not serves_ipv4(plan.host):
        reach += ", IPv6 clients only"
    elif plan.host == "::":
        reach += ", IPv6 and IPv4"
    agent = cfg.agent
    rows = [
        ("config", f"{plan.config_source} (valid)"),
        ("listen", f"{plan.url}  ({reach})"),
        ("tls", tls + (", TLS 1.2 or later" if plan.tls else "")),
        ("token", f"AGENT_TOKEN set ({len(token)} characters)" if token else "MISSING"),
        (
            "allow",
            ", ".join(agent.allow) + " (others are closed at accept)"
            if agent.allow
            else "any client with the token",
        ),
        (
            "limits",
            f"{agent.max_concurrent} requests at once, others wait up to "
            f"{agent.queue_wait_s:g} s then get 503; request within {agent.header_timeout_s:g} s "
            f"of connecting; idle connections closed after {agent.idle_timeout_s} s; "
            f"at most {agent.max_connections_per_address} open connections from one address; "
            f"bodies up to {MAX_BODY_BYTES // 1024} KiB",
        ),
        ("api", ", ".join(ENDPOINTS)),
        ("targets", ", ".join(f"{t.name} ({t.host})" for t in cfg.targets) or "none"),
        ("services", ", ".join(f"{v.name} ({v.host}:{v.port})" for v in cfg.services) or "none"),
        ("processes", ", ".join(p.name for p in cfg.processes) or "none"),
        ("units", ", ".join(u.name for u in cfg.units) or "none"),
    ]
    lines = [f"{label + ':':<11}{value}" for label, value in rows]
    lines += [f"note:      {note}" for note in _notes(plan, loopback)]
    return "\n".join(lines)


def _notes(plan: Plan, loopback: bool) -> list[str]:
    """Settings that are valid but probably not what the operator meant."""
    allow = parse_allow(plan.config.agent.allow)
    notes = []
    own = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    if loopback and allow and not any(a in net for net in allow for a in own):
        notes.append(
            "the agent listens on loopback only, but [agent] allow admits no loopback "
            'address: every connection would be closed (set host = "0.0.0.0" to serve the bot)'
        )
    if not loopback and not allow:
        notes.append(
            "any machine that reaches this port may try tokens: list the bot's address "
            "in [agent] allow"
        )
    if not plan.config.targets:
        notes.append(
            "no [[targets]]: step 4 pings this server's own gateway and DNS servers instead"
        )
    return notes


def _serve(plan: Plan, token: SecretStr, log_level: str) -> int:
    """Run uvicorn until stopped; the token goes to the app, never to a log.

    uvicorn gets our socket and our protocol class (``checks.agent.listener``):
    the allow list is applied at accept and TLS is started after it, so no
    ``ssl_*`` and no ``limit_concurrency`` here (the ``Guard`` counts requests).
    """
    import uvicorn

    from checks import redact
    from checks.agent.listener import Gate, gated_protocol, listen_socket, tls_context
    from checks.agent.server import create_app

    secret = token.get_secret_value().strip()
    redact.install([secret])  # a second guard: the token is never passed to a logger
    redact.quiet_http_loggers()
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    agent = plan.config.agent
    gate = Gate(
        allow=parse_allow(agent.allow),
        tls=tls_context(*plan.tls) if plan.tls else None,
        header_timeout_s=agent.header_timeout_s,
        max_per_address=agent.max_connections_per_address,
    )
    try:
        sock = listen_socket(plan.host, plan.port)
    except OSError as exc:
        print(f"netmaint agent: cannot listen on {plan.url}: {exc}", file=sys.stderr)
        return 1
    config = uvicorn.Config(
        create_app(plan.config, secret),
        http=gated_protocol(gate),
        ws="none",
        log_config=None,
        log_level=log_level,
        proxy_headers=False,  # the allowlist must see the real peer, not a header
        server_header=False,
        timeout_keep_alive=agent.idle_timeout_s,
    )
    log.info(
        "netmaint agent serving %s (%d targets, %d services, max %d requests at once)",
        plan.url,
        len(plan.config.targets),
        len(plan.config.services),
        agent.max_concurrent,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="netmaint agent")
    add_arguments(_parser)
    sys.exit(run(_parser.parse_args()))
