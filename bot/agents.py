"""Where the diagnostics run: in this process, or on a site's agent over HTTPS.

The bot asks an ``AgentClient`` for a report and never cares which kind it
has. ``LocalAgent`` is the embedded default; remote agents come from the
``[[sites]]`` entries of the TOML config, built once at start by
``agent_lookup`` with their tokens from the bot's environment. An agent that
cannot be asked is itself a finding (``agent.unreachable``,
``agent.unauthorized``, ...) in an ordinary report, never an exception: "the
SIAK server's agent does not answer" is exactly what the ADB needs to read.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
from dotenv import dotenv_values
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from bot.settings.office import OfficeConfig, Site
from checks.agent.api import DIAGNOSE_PATH, NAMES_PATH, DiagnoseRequest, Names
from checks.config import CheckConfig, is_loopback_host
from checks.models import CheckResult, Finding, Report, Status
from checks.steps import CHECK_STEPS, STEP_NAMES

log = logging.getLogger(__name__)

OnResult = Callable[[CheckResult], Awaitable[None]]


class AgentClient(Protocol):
    """Runs SOP steps 2-6 somewhere and returns the report."""

    name: str

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report: ...


# The agent that diagnoses complaints about a site, by the site's name (None: not given).
AgentLookup = Callable[[str | None], AgentClient]


class LocalAgent:
    """Runs the checks in the bot's own process (no agent configured)."""

    name = "local"

    def __init__(self, config: CheckConfig) -> None:
        self._config = config

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report:
        from checks.runner import run_sop_checks

        return await run_sop_checks(self._config, steps=steps, on_result=on_result)

    async def names(self) -> Names:
        """The names this process checks (the bot's own config)."""
        c = self._config
        return Names(targets=[t.name for t in c.targets], services=[s.name for s in c.services])

    async def watch(
        self, steps: Collection[int], targets: Collection[str], services: Collection[str]
    ) -> Report:
        """Monitoring's narrow look: only these targets and services, nothing else."""
        from checks.runner import run_sop_checks

        c = self._config
        scoped = c.model_copy(
            update={
                "targets": tuple(t for t in c.targets if t.name in targets),
                "services": tuple(s for s in c.services if s.name in services),
                "processes": (),
                "units": (),
            }
        )
        return await run_sop_checks(scoped, steps=steps)


DEFAULT_TOKEN_ENV = "AGENT_TOKEN"  # noqa: S105 (a variable name, not a secret)
# read: the agent sends nothing until its report is complete, and its runner stops a
# stuck step only after checks.runner.STEP_TIMEOUT_S (180 s; the slowest legal ping
# config alone takes 105 s), so the bot must wait longer than that before giving up.
DEFAULT_TIMEOUT = httpx.Timeout(210.0, connect=5.0, write=10.0, pool=5.0)
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Worth a second try: the request never reached the agent, or the connection broke.
# Not a read timeout: the agent has the request and is slow; asking again only waits longer.
_RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                 httpx.ReadError, httpx.WriteError)  # fmt: skip


class _Refused(Exception):
    """Why the agent was not asked or did not answer, as a finding code and params."""

    def __init__(self, code: str, **params: str | int | None) -> None:
        super().__init__(code)
        self.code, self.params = code, params


class RemoteAgent:
    """Runs the checks on a site's ``netmaint agent`` over HTTPS, with retries."""

    def __init__(
        self,
        site: Site,
        token: str | None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        attempts: int = 3,
        backoff_s: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not site.agent_url:
            raise ValueError(f"site {site.name!r} has no agent_url")
        self.name = site.name
        self._site = site
        try:
            self._url: httpx.URL | None = httpx.URL(site.agent_url)
        except httpx.InvalidURL:
            self._url = None
        self._token = (token or "").strip()
        self._token_env = site.agent_token_env or DEFAULT_TOKEN_ENV
        self._timeout = timeout
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._transport = transport
        self._verify: ssl.SSLContext | bool | None = None

    async def diagnose(
        self, steps: Collection[int] | None = None, on_result: OnResult | None = None
    ) -> Report:
        """The site's report; ``on_result`` sees its steps once the whole report arrived."""
        wanted = sorted(set(steps)) if steps else list(CHECK_STEPS)
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        request = DiagnoseRequest(steps=wanted if steps else None)
        try:
            report = await self._ask(request)
        except _Refused as refused:
            log.warning("agent of site %s: %s %s", self.name, refused.code, refused.params)
            report = self._failure(wanted, refused, started_at, time.perf_counter() - t0)
        if on_result is not None:
            for result in report.results:
                await on_result(result)
        return report

    async def watch(
        self, steps: Collection[int], targets: Collection[str], services: Collection[str]
    ) -> Report:
        """Monitoring's narrow look: these steps, pinging only these targets (the agent's
        API cannot narrow services: the caller reads the ones it watches)."""
        wanted = sorted(set(steps))
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        request = DiagnoseRequest(steps=wanted, targets=sorted(targets) or None)
        try:
            return await self._ask(request)
        except _Refused as refused:
            log.warning("agent of site %s: %s %s", self.name, refused.code, refused.params)
            return self._failure(wanted, refused, started_at, time.perf_counter() - t0)

    async def names(self) -> Names | None:
        """The names the agent checks; None when it cannot be asked (logged)."""
        try:
            response = await self._call("GET", NAMES_PATH, None)
            self._refuse_status(response)
            return Names.model_validate_json(response.content)
        except ValidationError:
            log.warning("agent of site %s: agent.bad_response to %s", self.name, NAMES_PATH)
        except _Refused as refused:
            log.warning("agent of site %s: %s %s", self.name, refused.code, refused.params)
        return None

    async def _ask(self, request: DiagnoseRequest) -> Report:
        body = request.model_dump(mode="json", exclude_none=True)
        return self._parse(await self._call("POST", DIAGNOSE_PATH, body))

    async def _call(self, method: str, path: str, body: object) -> httpx.Response:
        url = self._preflight()
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with httpx.AsyncClient(
                base_url=url,
                timeout=self._timeout,
                verify=self._ssl_verify(),
                transport=self._transport,
                follow_redirects=False,
                trust_env=False,
            ) as client:

                async def send() -> httpx.Response:
                    return await client.request(method, path, json=body, headers=headers)

                return await self._with_retries(send)
        except httpx.TransportError as exc:
            if is_tls_error(exc):
                raise _Refused("agent.tls_error", site=self.name, url=self._public_url()) from None
            log.info("agent of site %s unreachable: %s", self.name, type(exc).__name__)
            raise _Refused("agent.unreachable", site=self.name, url=self._public_url()) from None

    def _preflight(self) -> httpx.URL:
        """Refuse before any traffic: unusable URL, token over plain HTTP, no or broken token."""
        url = self._url
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise _Refused("agent.bad_url", site=self.name)
        if url.scheme == "http" and not is_loopback_host(url.host):
            raise _Refused("agent.insecure_url", site=self.name, url=self._public_url())
        if not self._token:
            raise _Refused("agent.no_token", site=self.name, env=self._token_env)
        if not (self._token.isascii() and self._token.isprintable()):
            # httpx would raise on it (an exception, not a finding) or send a broken header
            raise _Refused("agent.bad_token", site=self.name, env=self._token_env)
        return url

    def _ssl_verify(self) -> ssl.SSLContext | bool:
        """The pinned certificate of the site when given, else the system's CAs."""
        if self._verify is None:
            ca_file = self._site.agent_ca_file
            if ca_file is None:
                self._verify = True
            else:
                try:
                    self._verify = ssl.create_default_context(cafile=str(ca_file))
                except (OSError, ssl.SSLError):
                    raise _Refused(
                        "agent.tls_error",
                        site=self.name,
                        url=self._public_url(),
                        ca_file=str(ca_file),
                    ) from None
        return self._verify

    async def _with_retries(self, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Retry what a second try can fix: a dropped connection, a busy agent."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff_s, max=self._backoff_s * 8),
            retry=(
                retry_if_exception(lambda e: isinstance(e, _RETRY_ERRORS) and not is_tls_error(e))
                | retry_if_result(lambda r: r.status_code in _RETRY_STATUSES)
            ),
            retry_error_callback=_last_outcome,
        )
        response: httpx.Response = await retrying(send)
        return response

    def _parse(self, response: httpx.Response) -> Report:
        self._refuse_status(response)
        try:
            return Report.model_validate_json(response.content)
        except ValidationError:
            raise _Refused(
                "agent.bad_response", site=self.name, status=response.status_code
            ) from None

    def _refuse_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise _Refused("agent.unauthorized", site=self.name, env=self._token_env, status=status)
        if status in _RETRY_STATUSES:
            raise _Refused("agent.busy", site=self.name, status=status)
        if status != 200:
            raise _Refused("agent.bad_response", site=self.name, status=status)

    def _public_url(self) -> str:
        """The agent's address without any user or path, for findings and logs."""
        if self._url is None:
            return ""
        port = f":{self._url.port}" if self._url.port else ""
        host = f"[{self._url.host}]" if ":" in self._url.host else self._url.host
        return f"{self._url.scheme}://{host}{port}"

    def _failure(
        self, steps: list[int], refused: _Refused, started_at: datetime, duration_s: float
    ) -> Report:
        """A report whose every requested step failed for the same reason."""
        finding = Finding(
            code=refused.code, severity=Status.FAIL, subject=self.name, params=refused.params
        )
        results = tuple(
            CheckResult(
                step=step,
                name=STEP_NAMES[step],
                status=Status.FAIL,
                summary=f"not run: {refused.code} (site {self.name})",
                findings=(finding,),
                started_at=started_at,
                duration_s=duration_s,
            )
            for step in steps
        )
        return Report(
            host=self.name,
            started_at=started_at,
            duration_s=duration_s,
            results=results,
            verdict=Status.FAIL,
        )


def _last_outcome(state: RetryCallState) -> httpx.Response:
    """After the last try: its response, or its exception raised again."""
    assert state.outcome is not None
    response: httpx.Response = state.outcome.result()
    return response


def is_tls_error(exc: BaseException) -> bool:
    """Whether a failed request failed in TLS (a certificate, a handshake), not the network."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def agent_environment(env_file: Path | None) -> dict[str, str]:
    """Where agent tokens are read: ``env_file`` (the bot's), the real environment over it."""
    values: dict[str, str] = {}
    if env_file is not None:
        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def agent_lookup(config: OfficeConfig, environ: Mapping[str, str]) -> AgentLookup:
    """Which agent diagnoses complaints about a site; built once at start.

    Each ``[[sites]]`` entry with an ``agent_url`` gets its ``RemoteAgent`` now,
    with the token read from ``environ`` under the site's ``agent_token_env``
    (``AGENT_TOKEN`` when not given); a token that is missing is the finding
    ``agent.no_token`` at diagnosis time, not a start-up error. Other sites, an
    unknown site and no site at all are diagnosed in this process.
    """
    local = LocalAgent(config)
    agents: dict[str, AgentClient] = {}
    for site in config.sites:
        agent: AgentClient = local
        if site.agent_url:
            agent = RemoteAgent(site, environ.get(site.agent_token_env or DEFAULT_TOKEN_ENV))
        agents.setdefault(site.name.casefold(), agent)  # of two entries alike, the first

    def agent_for(site: str | None) -> AgentClient:
        return agents.get((site or "").strip().casefold(), local)

    return agent_for
