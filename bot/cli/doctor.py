"""``netmaint doctor``: check everything the bot needs, and say in plain words what to fix.

Written for the operator who installs the bot and is not a programmer: each
line says what was checked, whether it is fine, and if not what to do, in
Bahasa Indonesia (``--lang en`` for English; wording in
``templates/<lang>/doctor.txt.j2``). It reads the same environment and ``.env``
as the bot and loads the office's TOML file the way the bot does, so "doctor
is happy" means "the bot will start".

Exit status, for scripts: 0 all is well, 1 warnings only, 2 something must be
fixed, 3 the configuration cannot be read. The token is never printed (every
line goes through ``checks.redact``) and no traceback reaches the terminal.

The Telegram checks are in ``doctor_telegram``, a finding's shape in ``doctor_lines``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sqlite3
import ssl
import stat
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.agents import DEFAULT_TOKEN_ENV, RemoteAgent, agent_environment, is_tls_error
from bot.cli.doctor_lines import ICONS, DoctorLine, Level
from bot.cli.doctor_telegram import TELEGRAM_TIMEOUT, check_telegram
from bot.cli.language import operator_lang, setup_error
from bot.render import dates, render
from bot.settings.environment import Settings, SettingsError, load_settings
from bot.settings.office import OfficeConfig, Site, load_office_config
from bot.sop.monitor import unserved, watched_names
from checks import redact
from checks.agent.api import HEALTH_PATH
from checks.config import DEFAULT_CONFIG_PATH, ConfigError, is_loopback_host

AGENT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DISK_FAIL_BYTES = 100 * 1024 * 1024  # below this SQLite may fail to write the agenda
DISK_WARN_BYTES = 1024 * 1024 * 1024
CLOCK_STEP_DAYS = 7  # a step of the clock the running bot saw is shown for a week


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="file with the environment variables (default: .env)",
    )
    parser.add_argument(
        "--lang",
        choices=("id", "en"),
        default=None,
        help="language of the report (default: NETMAINT_LANG, else id)",
    )
    parser.add_argument(
        "--send-test", action="store_true", help="also send a test message to each configured chat"
    )


def env_file_exposed(path: Path) -> bool:
    """Whether a ``.env`` (it holds the token) can be read by other users of the machine."""
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except OSError:
        return False


# --- the office's config and its agents ------------------------------------------------------


async def check_agent(site: Site, token: str | None) -> DoctorLine:
    """A site's agent answers its health endpoint over HTTPS with the site's CA and token,
    as ``bot.agents.RemoteAgent`` would ask it (no redirects, no proxy from the environment)."""
    env = site.agent_token_env or DEFAULT_TOKEN_ENV
    params: dict[str, Any] = {"site": site.name, "url": site.agent_url, "env": env}
    try:
        url = httpx.URL(site.agent_url or "")
    except httpx.InvalidURL:
        return DoctorLine(Level.FAIL, "agent_bad_url", params)
    if url.scheme == "http" and not is_loopback_host(url.host):
        return DoctorLine(Level.FAIL, "agent_insecure", params)
    if not token or not (token.isascii() and token.isprintable()):
        return DoctorLine(Level.FAIL, "agent_no_token", params)
    verify: ssl.SSLContext | bool = True
    if site.agent_ca_file is not None:
        try:
            verify = ssl.create_default_context(cafile=str(site.agent_ca_file))
        except (OSError, ssl.SSLError):
            return DoctorLine(Level.FAIL, "agent_bad_ca", {**params, "ca": str(site.agent_ca_file)})
    try:
        async with httpx.AsyncClient(
            base_url=url,
            verify=verify,
            timeout=AGENT_TIMEOUT,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            response = await client.get(
                HEALTH_PATH, headers={"Authorization": f"Bearer {token.strip()}"}
            )
    except httpx.HTTPError as exc:
        key = "agent_tls" if is_tls_error(exc) else "agent_down"
        return DoctorLine(Level.FAIL, key, {**params, "why": type(exc).__name__})
    if response.status_code in (401, 403):
        return DoctorLine(Level.FAIL, "agent_unauthorized", params)
    if response.status_code != 200:
        return DoctorLine(
            Level.FAIL, "agent_bad_answer", {**params, "status": response.status_code}
        )
    return DoctorLine(Level.OK, "agent_ok", params)


async def check_monitored_names(
    config: OfficeConfig, sites: list[Site], environ: Mapping[str, str]
) -> list[DoctorLine]:
    """Each answering agent has every name monitoring watches at its site: a name it
    lacks is watched nowhere (the bot leaves it out and logs it)."""
    if config.monitor is None:
        return []
    found = []
    answers = await asyncio.gather(
        *(
            RemoteAgent(s, environ.get(s.agent_token_env or DEFAULT_TOKEN_ENV)).names()
            for s in sites
        )
    )  # all agents at once, as check_agent asks them
    for site, names in zip(sites, answers, strict=True):
        if names is None:
            continue  # check_agent said why
        targets, services = watched_names(config, config.monitor, site.name)
        missing_t, missing_s = unserved(names, targets, services)
        if missing_t or missing_s:
            found.append(
                DoctorLine(
                    Level.FAIL,
                    "monitor_names_missing",
                    {"site": site.name, "targets": missing_t, "services": missing_s},
                )
            )
    return found


# --- this machine ----------------------------------------------------------------------------


def latest_migration() -> int:
    """The schema version this code migrates a database to."""
    folder = resources.files("bot.storage").joinpath("migrations")
    return max(int(f.name.split("_", 1)[0]) for f in folder.iterdir() if f.name.endswith(".sql"))


def check_database(path: Path) -> list[DoctorLine]:
    """The agenda's SQLite file: intact, its schema current, private, and room to grow."""
    found: list[DoctorLine] = []
    where = path.parent if path.parent.exists() else Path(".")
    if not path.exists():
        found.append(DoctorLine(Level.OK, "db_new", {"path": str(path)}))
    else:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                result = db.execute("PRAGMA integrity_check").fetchone()
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            return [DoctorLine(Level.FAIL, "db_corrupt", {"path": str(path), "why": str(exc)})]
        if not result or result[0] != "ok":
            return [
                DoctorLine(
                    Level.FAIL,
                    "db_corrupt",
                    {"path": str(path), "why": str(result[0] if result else "?")},
                )
            ]
        latest = latest_migration()
        if version > latest:
            found.append(
                DoctorLine(
                    Level.FAIL,
                    "db_newer",
                    {"path": str(path), "version": version, "latest": latest},
                )
            )
        elif version < latest:
            found.append(
                DoctorLine(
                    Level.WARN,
                    "db_migrate",
                    {"path": str(path), "version": version, "latest": latest},
                )
            )
        else:
            found.append(DoctorLine(Level.OK, "db_ok", {"path": str(path), "version": version}))
        exposed = [
            str(f)
            for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
            if f.exists() and stat.S_IMODE(f.stat().st_mode) & 0o077
        ]
        if exposed:
            found.append(
                DoctorLine(Level.WARN, "db_readable", {"files": exposed, "path": str(path)})
            )
    free = shutil.disk_usage(where).free
    params = {"free_mb": free // (1024 * 1024), "where": str(where)}
    level = (
        Level.FAIL if free < DISK_FAIL_BYTES else Level.WARN if free < DISK_WARN_BYTES else Level.OK
    )
    found.append(
        DoctorLine(
            level,
            {Level.OK: "disk_ok", Level.WARN: "disk_low", Level.FAIL: "disk_full"}[level],
            params,
        )
    )
    return found


def check_running_bot(
    path: Path, now: datetime | None = None, *, tz: tzinfo = UTC, lang: str = "id"
) -> list[DoctorLine]:
    """What the running bot stored about itself (``runtime_status``): Telegram unreachable
    since when, a step of the server's clock in the last ``CLOCK_STEP_DAYS`` days, and a
    monthly recap held back because the clock could not be trusted."""
    if not path.exists():
        return []
    now = now or datetime.now(UTC)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            found = {
                str(r[0]): (str(r[1]), r[2], datetime.fromisoformat(r[3]))
                for r in db.execute("SELECT key, value, detail, since FROM runtime_status")
            }
            pending = int(
                db.execute("SELECT COUNT(*) FROM outbox WHERE state='pending'").fetchone()[0]
            )
    except sqlite3.Error:  # an older schema (no table yet) or a damaged file: said above
        return []
    lines = []
    telegram = found.get("telegram")
    if telegram is not None and telegram[0] == "unreachable":
        lines.append(
            DoctorLine(
                Level.WARN,
                "bot_offline",
                {
                    "since": _shown(telegram[2], tz, lang),
                    "why": telegram[1] or "?",
                    "pending": pending,
                },
            )
        )
    step = found.get("clock_step")
    if step is not None and now - step[2] < timedelta(days=CLOCK_STEP_DAYS):
        lines.append(
            DoctorLine(
                Level.WARN, "clock_step", {"seconds": step[0], "at": _shown(step[2], tz, lang)}
            )
        )
    deferred = found.get("recap_deferred")
    if deferred is not None and deferred[0]:
        lines.append(
            DoctorLine(
                Level.WARN,
                "recap_deferred",
                {
                    "month": deferred[0],
                    "why": deferred[1] or "",
                    "since": _shown(deferred[2], tz, lang),
                },
            )
        )
    return lines


def _shown(t: datetime, tz: tzinfo, lang: str) -> str:
    return dates.moment(t.astimezone(tz), lang)


def check_ping() -> DoctorLine:
    """Whether the ping step (SOP step 4) can send ICMP from this process."""
    from checks.icmp import detect_mode

    mode = detect_mode()
    params = {"mode": mode.name, "range": mode.ping_group_range, "gid": mode.gid}
    return DoctorLine(
        Level.WARN if mode.name == "unavailable" else Level.OK,
        "ping_unavailable" if mode.name == "unavailable" else "ping_ok",
        params,
    )


def office_zone(settings: Settings, config: OfficeConfig | None) -> str:
    return config.office.timezone if config and config.office.timezone else settings.netmaint_tz


def check_time(settings: Settings, config: OfficeConfig | None, lang: str) -> DoctorLine:
    """The office's time zone, shown with the time it gives, for the operator to compare."""
    tz = office_zone(settings, config)
    now = datetime.now(ZoneInfo(tz))
    return DoctorLine(Level.OK, "tz_ok", {"tz": tz, "now": dates.moment(now, lang)})


def check_config(settings: Settings, lang: str) -> tuple[OfficeConfig | None, DoctorLine]:
    """The office's TOML file, loaded exactly as the bot loads it."""
    try:
        config = load_office_config(settings.netmaint_config)
    except ConfigError as exc:
        source = str(settings.netmaint_config or DEFAULT_CONFIG_PATH)
        why = "\n".join(setup_error(lang, exc, source).splitlines()[1:])
        return None, DoctorLine(Level.UNREADABLE, "config_bad", {"why": why})
    path = Path(settings.netmaint_config or DEFAULT_CONFIG_PATH)
    return config, DoctorLine(
        Level.OK,
        "config_ok",
        {
            "path": str(path),
            "defaults": not path.exists(),
            "sites": len(config.sites),
            "targets": len(config.targets),
            "vendors": len(config.vendors),
        },
    )


# --- the whole run ---------------------------------------------------------------------------


async def diagnose(
    settings: Settings, env_file: Path | None, lang: str, send_test: bool
) -> list[DoctorLine]:
    """Every check, in the order the operator fixes things."""
    found: list[DoctorLine] = []
    if env_file is not None and env_file_exposed(env_file):
        found.append(DoctorLine(Level.WARN, "env_readable", {"path": str(env_file)}))
    async with httpx.AsyncClient(timeout=TELEGRAM_TIMEOUT, trust_env=False) as client:
        found.extend(await check_telegram(settings, lang, send_test, client))
    for name, people in (
        ("JF_ADB_USER_IDS", settings.jf_adb_user_ids),
        ("KABID_USER_IDS", settings.kabid_user_ids),
    ):
        found.append(
            DoctorLine(Level.OK, "roles_by_person", {"name": name, "count": len(people)})
            if people
            else DoctorLine(Level.WARN, "roles_by_group", {"name": name})
        )
    config, finding = check_config(settings, lang)
    found.append(finding)
    if config is not None:
        environ = agent_environment(env_file)
        agents = [s for s in config.sites if s.agent_url]
        results = await asyncio.gather(
            *(check_agent(s, environ.get(s.agent_token_env or DEFAULT_TOKEN_ENV)) for s in agents)
        )
        found.extend(results)
        answering = [s for s, r in zip(agents, results, strict=True) if r.key == "agent_ok"]
        found.extend(await check_monitored_names(config, answering, environ))
        if not config.vendors:
            found.append(DoctorLine(Level.WARN, "no_vendors", {}))
    found.extend(check_database(settings.netmaint_db))
    zone = ZoneInfo(office_zone(settings, config))
    found.extend(check_running_bot(settings.netmaint_db, tz=zone, lang=lang))
    found.append(check_ping())
    found.append(check_time(settings, config, lang))
    return found


def report(lang: str, found: list[DoctorLine]) -> str:
    """The findings as the operator reads them, worst last in the summary."""
    lines = [render(lang, "doctor.txt.j2", key="title", p={})]
    for f in found:
        text = render(lang, "doctor.txt.j2", key=f.key, p=f.params)
        lines.append(f"{ICONS[f.level]} {text}")
    worst = max((f.level for f in found), default=Level.OK)
    lines.append("")
    lines.append(
        render(
            lang,
            "doctor.txt.j2",
            key=f"summary_{int(worst)}",
            p={
                "fail": sum(f.level >= Level.FAIL for f in found),
                "warn": sum(f.level == Level.WARN for f in found),
            },
        )
    )
    return redact.redact("\n".join(lines))


def run(args: argparse.Namespace) -> int:
    # Nothing below logs for the operator; httpx would log request URLs (the token).
    logging.basicConfig(level=logging.ERROR)
    redact.quiet_http_loggers()
    env_file: Path | None = args.env_file if args.env_file.exists() else None
    lang = operator_lang(args.lang, env_file)
    try:
        settings = load_settings(env_file)
    except SettingsError as exc:
        head = render(
            lang,
            "doctor.txt.j2",
            key="settings_bad",
            p={"path": str(args.env_file), "found": env_file is not None},
        )
        lines = setup_error(lang, exc, "env").splitlines()[1:]  # the head says what to do
        print(redact.redact("\n".join([f"{ICONS[Level.UNREADABLE]} {head}", *lines])))
        return int(Level.UNREADABLE)
    redact.install([settings.token])
    try:
        found = asyncio.run(diagnose(settings, env_file, lang, args.send_test))
        text = report(lang, found)
    except Exception as exc:  # the operator gets a sentence, never a traceback
        print(
            redact.redact(
                render(
                    lang, "doctor.txt.j2", key="crashed", p={"why": f"{type(exc).__name__}: {exc}"}
                )
            )
        )
        return int(Level.FAIL)
    print(text)
    worst = max((f.level for f in found), default=Level.OK)
    return int(worst)
