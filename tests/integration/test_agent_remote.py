"""The bot's RemoteAgent against the real agent over HTTPS (trustme certificate) on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from bot import render
from bot.agents import (
    DEFAULT_TIMEOUT,
    LocalAgent,
    RemoteAgent,
    agent_environment,
    agent_lookup,
)
from bot.settings.office import OfficeConfig, Site
from checks.agent.api import DIAGNOSE_PATH, DiagnoseRequest
from checks.config import Thresholds
from checks.models import CheckResult, Finding, Report, Status
from checks.runner import STEP_TIMEOUT_S
from tests.support.agent import (
    TOKEN,
    AgentProcess,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)

SITE = "SIAK"
TOKEN_ENV = "SIAK_AGENT_TOKEN"


@pytest.fixture(scope="module")
def tls_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    workdir = tmp_path_factory.mktemp("agent-tls")
    ca_file, cert_file, key_file = write_tls_files(workdir / "tls", trustme.CA())
    port = free_port()
    config = loopback_config(tls=(cert_file, key_file), service_port=port)
    running = start_agent(workdir, config, port=port, ca_file=ca_file)
    yield running
    running.stop()


def bot_config(url: str, ca_file: Path | None) -> OfficeConfig:
    """The bot's config: one site whose server runs an agent, one without."""
    return OfficeConfig(
        sites=(
            Site(name=SITE, agent_url=url, agent_token_env=TOKEN_ENV, agent_ca_file=ca_file),
            Site(name="Kecamatan Lengayang"),
        )
    )


def agent_codes(report: Report) -> set[str]:
    return {f.code for r in report.results for f in r.findings if f.code.startswith("agent.")}


def assert_every_step_failed_with(report: Report, code: str, steps: list[int]) -> None:
    assert report.verdict is Status.FAIL
    assert [r.step for r in report.results] == steps
    for result in report.results:
        assert result.status is Status.FAIL
        assert [(f.code, f.params["site"]) for f in result.findings] == [(code, SITE)]


def test_a_site_with_an_agent_url_gets_a_remote_agent(tls_agent: AgentProcess) -> None:
    agent_for = agent_lookup(bot_config(tls_agent.url, tls_agent.ca_file), {})
    assert isinstance(agent_for(SITE), RemoteAgent)
    assert agent_for(" siak ") is agent_for(SITE)  # built once, found by any spelling
    for other in ("Kecamatan Lengayang", "no such site", None):
        assert isinstance(agent_for(other), LocalAgent)


async def test_remote_agent_brings_back_the_servers_report(tls_agent: AgentProcess) -> None:
    config = bot_config(tls_agent.url, tls_agent.ca_file)
    agent = agent_lookup(config, {TOKEN_ENV: TOKEN})(SITE)
    seen: list[CheckResult] = []

    async def on_result(result: CheckResult) -> None:
        seen.append(result)

    report = await agent.diagnose(on_result=on_result)
    assert [r.step for r in report.results] == [2, 3, 4, 5, 6]
    assert report.host == socket.gethostname()  # the agent's machine, here the same one
    assert agent_codes(report) == set()
    assert sorted(r.step for r in seen) == [2, 3, 4, 5, 6]


async def test_the_token_comes_from_the_bots_env_file_not_the_working_directorys(
    tls_agent: AgentProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "etc" / "netmaint.env"
    env_file.parent.mkdir()
    env_file.write_text(f"{TOKEN_ENV}={TOKEN}\n")
    (tmp_path / ".env").write_text(f"{TOKEN_ENV}=wrong-{TOKEN}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    environ = agent_environment(env_file)
    assert environ[TOKEN_ENV] == TOKEN
    agent = agent_lookup(bot_config(tls_agent.url, tls_agent.ca_file), environ)(SITE)
    report = await agent.diagnose(steps=[3])
    assert [r.step for r in report.results] == [3] and agent_codes(report) == set()


def test_the_real_environment_wins_over_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "netmaint.env"
    env_file.write_text(f"{TOKEN_ENV}=from-the-file\nOTHER_AGENT_TOKEN=only-in-the-file\n")
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    environ = agent_environment(env_file)
    assert environ[TOKEN_ENV] == "from-the-environment"
    assert environ["OTHER_AGENT_TOKEN"] == "only-in-the-file"
    assert "OTHER_AGENT_TOKEN" not in agent_environment(None)


async def test_the_token_is_read_once_when_the_lookup_is_built(
    tls_agent: AgentProcess,
) -> None:
    environ = {TOKEN_ENV: TOKEN}
    agent_for = agent_lookup(bot_config(tls_agent.url, tls_agent.ca_file), environ)
    environ[TOKEN_ENV] = "changed-later-" + TOKEN
    report = await agent_for(SITE).diagnose(steps=[3])
    assert agent_codes(report) == set()


async def test_remote_agent_asks_for_some_steps(tls_agent: AgentProcess) -> None:
    agent = agent_lookup(bot_config(tls_agent.url, tls_agent.ca_file), {TOKEN_ENV: TOKEN})(SITE)
    report = await agent.diagnose(steps=[6, 4])
    assert [r.step for r in report.results] == [4, 6]


async def test_a_wrong_token_is_a_finding_not_an_exception(
    tls_agent: AgentProcess, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-" + TOKEN
    agent = agent_lookup(bot_config(tls_agent.url, tls_agent.ca_file), {TOKEN_ENV: wrong})(SITE)
    report = await agent.diagnose(steps=[2, 3])
    assert_every_step_failed_with(report, "agent.unauthorized", [2, 3])
    assert report.results[0].findings[0].params["env"] == TOKEN_ENV
    assert wrong not in caplog.text and wrong not in report.model_dump_json()


async def test_a_missing_token_is_reported_before_any_connection() -> None:
    closed_port = free_port()  # nothing listens here: asking would say "unreachable"
    config = bot_config(f"https://127.0.0.1:{closed_port}", None)
    report = await agent_lookup(config, {})(SITE).diagnose()
    assert_every_step_failed_with(report, "agent.no_token", [2, 3, 4, 5, 6])
    assert report.results[0].findings[0].params["env"] == TOKEN_ENV


async def test_a_certificate_other_than_the_pinned_one_is_refused(
    tls_agent: AgentProcess, tmp_path: Path
) -> None:
    other_ca, _, _ = write_tls_files(tmp_path, trustme.CA())
    agent = agent_lookup(bot_config(tls_agent.url, other_ca), {TOKEN_ENV: TOKEN})(SITE)
    report = await agent.diagnose(steps=[4])
    assert_every_step_failed_with(report, "agent.tls_error", [4])


async def test_a_missing_pinned_certificate_file_is_a_tls_finding(
    tls_agent: AgentProcess, tmp_path: Path
) -> None:
    config = bot_config(tls_agent.url, tmp_path / "not-there.pem")
    report = await agent_lookup(config, {TOKEN_ENV: TOKEN})(SITE).diagnose(steps=[4])
    assert_every_step_failed_with(report, "agent.tls_error", [4])


async def test_a_stopped_agent_is_reported_unreachable(tmp_path: Path) -> None:
    port = free_port()
    running = start_agent(tmp_path, loopback_config(service_port=port), port=port)
    site = Site(name=SITE, agent_url=running.url, agent_token_env=TOKEN_ENV)
    agent = RemoteAgent(site, TOKEN, attempts=2, backoff_s=0.05)
    try:
        assert agent_codes(await agent.diagnose(steps=[3])) == set()
    finally:
        running.stop()
    report = await agent.diagnose(steps=[3, 4])
    assert_every_step_failed_with(report, "agent.unreachable", [3, 4])
    assert report.results[0].findings[0].params["url"] == running.url


def _slowest_legal_ping_s() -> float:
    """At the config's maxima: count echoes ``interval`` apart, then ``timeout``."""
    fields = Thresholds.model_fields

    def most(name: str) -> float:
        return float(next(m.le for m in fields[name].metadata if getattr(m, "le", None)))

    return (most("ping_count") - 1) * most("ping_interval_s") + most("ping_timeout_s")


def test_the_bot_waits_for_an_agent_whose_steps_are_slow_but_legal() -> None:
    """The agent answers only when its report is done: the bot must outwait the runner."""
    assert _slowest_legal_ping_s() < STEP_TIMEOUT_S
    assert DEFAULT_TIMEOUT.read is not None and DEFAULT_TIMEOUT.read > STEP_TIMEOUT_S


def _never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.url}")


async def test_plain_http_to_another_machine_is_refused_before_sending_the_token() -> None:
    site = Site(name=SITE, agent_url="http://192.0.2.10:8443", agent_token_env=TOKEN_ENV)
    agent = RemoteAgent(site, TOKEN, transport=httpx.MockTransport(_never_called))
    report = await agent.diagnose(steps=[4])
    assert_every_step_failed_with(report, "agent.insecure_url", [4])


@pytest.mark.parametrize("url", ["https://[::1", "ftp://127.0.0.1/", "https://"])
async def test_an_unusable_agent_url_is_a_finding(url: str) -> None:
    site = Site.model_construct(name=SITE, agent_url=url, agent_token_env=TOKEN_ENV)
    agent = RemoteAgent(site, TOKEN, transport=httpx.MockTransport(_never_called))
    report = await agent.diagnose(steps=[2])
    assert_every_step_failed_with(report, "agent.bad_url", [2])


@pytest.mark.parametrize("token", ["tøken-" + TOKEN, TOKEN + "\nX-Injected: 1"])
async def test_a_token_no_header_can_carry_is_a_finding_and_never_sent(
    token: str, caplog: pytest.LogCaptureFixture
) -> None:
    site = Site(name=SITE, agent_url="https://127.0.0.1:8443", agent_token_env=TOKEN_ENV)
    agent = RemoteAgent(site, token, transport=httpx.MockTransport(_never_called))
    report = await agent.diagnose(steps=[4])
    assert_every_step_failed_with(report, "agent.bad_token", [4])
    assert report.results[0].findings[0].params["env"] == TOKEN_ENV
    assert token not in caplog.text and token not in report.model_dump_json()


def _report_json() -> bytes:
    return (
        Report.model_validate(
            {
                "host": "siak-server",
                "started_at": "2026-01-10T08:00:00Z",
                "duration_s": 0.5,
                "verdict": "ok",
                "results": [
                    {
                        "step": 4,
                        "name": "ping",
                        "status": "ok",
                        "summary": "2/2 targets answer",
                        "started_at": "2026-01-10T08:00:00Z",
                        "duration_s": 0.4,
                    }
                ],
            }
        )
        .model_dump_json()
        .encode()
    )


class Scripted:
    """Answers requests from a script at the network's edge, counting them."""

    def __init__(self, *steps: httpx.Response | Exception) -> None:
        self.steps, self.calls = list(steps), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        return step


def _remote(script: Scripted, attempts: int = 3) -> RemoteAgent:
    site = Site(name=SITE, agent_url="https://127.0.0.1:8443", agent_token_env=TOKEN_ENV)
    return RemoteAgent(
        site, TOKEN, attempts=attempts, backoff_s=0.01, transport=httpx.MockTransport(script)
    )


async def test_a_busy_agent_is_retried_then_reported_busy() -> None:
    script = Scripted(httpx.Response(503, json={"error": "busy", "message": "busy"}))
    report = await _remote(script, attempts=3).diagnose(steps=[4])
    assert script.calls == 3
    assert_every_step_failed_with(report, "agent.busy", [4])


async def test_a_dropped_connection_and_a_busy_answer_are_retried_to_success() -> None:
    script = Scripted(
        httpx.ConnectError("connection reset"),
        httpx.Response(503, json={"error": "busy", "message": "busy"}),
        httpx.Response(200, content=_report_json()),
    )
    report = await _remote(script).diagnose(steps=[4])
    assert script.calls == 3
    assert report.host == "siak-server" and report.verdict is Status.OK


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>captive portal</html>"),
        httpx.Response(200, json={"host": "x"}),
        httpx.Response(500, json={"error": "internal", "message": "boom"}),
        httpx.Response(404, json={"error": "not_found", "message": "old agent"}),
    ],
)
async def test_an_answer_that_is_not_a_report_is_a_finding(response: httpx.Response) -> None:
    script = Scripted(response)
    report = await _remote(script).diagnose(steps=[2, 4])
    assert script.calls == 1
    assert_every_step_failed_with(report, "agent.bad_response", [2, 4])


class Recorded:
    """Answers one report and keeps the requests the bot sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=_report_json())


@pytest.mark.parametrize(("steps", "body"), [([6, 4, 4], {"steps": [4, 6]}), (None, {})])
async def test_the_bot_sends_the_agents_own_request_model(
    steps: list[int] | None, body: dict[str, object]
) -> None:
    recorded = Recorded()
    site = Site(name=SITE, agent_url="https://127.0.0.1:8443", agent_token_env=TOKEN_ENV)
    agent = RemoteAgent(site, TOKEN, transport=httpx.MockTransport(recorded))
    await agent.diagnose(steps=steps)
    [request] = recorded.requests
    assert (request.method, request.url.path) == ("POST", DIAGNOSE_PATH)
    assert json.loads(request.content) == body
    DiagnoseRequest.model_validate_json(request.content)  # what the agent will accept


def _hint(lang: str, finding: Finding) -> str:
    macros = render.environment(lang).get_template("findings.j2").module
    return str(macros.finding(finding)).strip()  # type: ignore[attr-defined]


async def test_the_adb_reads_that_the_agent_cannot_be_reached() -> None:
    site = Site(name=SITE, agent_url=f"https://127.0.0.1:{free_port()}", agent_token_env=TOKEN_ENV)
    report = await RemoteAgent(site, TOKEN, attempts=1).diagnose(steps=[4])
    finding = report.results[0].findings[0]
    assert _hint("id", finding) == (
        "agen di server SIAK tidak bisa dihubungi: kemungkinan jaringan kantor putus"
    )
    assert _hint("en", finding).startswith("the agent on the SIAK server cannot be reached")


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(
    "code",
    [
        "agent.unreachable",
        "agent.unauthorized",
        "agent.no_token",
        "agent.bad_token",
        "agent.tls_error",
        "agent.insecure_url",
        "agent.bad_url",
        "agent.busy",
        "agent.bad_response",
    ],
)
def test_every_agent_finding_has_plain_words(lang: str, code: str) -> None:
    params = {"site": SITE, "url": "https://10.0.0.5:8443", "env": TOKEN_ENV, "status": 503}
    text = _hint(lang, Finding(code=code, severity=Status.FAIL, subject=SITE, params=params))
    assert code not in text and SITE in text


@pytest.mark.parametrize(
    ("status", "id_words", "en_words"),
    [
        (401, "tokennya tidak cocok", "refused the bot's token"),
        (403, "menolak alamat bot", "refused the bot's address"),
    ],
)
async def test_a_refusal_tells_the_adb_whether_the_token_or_the_address_is_wrong(
    status: int, id_words: str, en_words: str
) -> None:
    """The agent's Guard answers 401 for a wrong token and 403 for an address not in allow."""
    script = Scripted(httpx.Response(status, json={"error": "x", "message": "x"}))
    report = await _remote(script).diagnose(steps=[4])
    assert_every_step_failed_with(report, "agent.unauthorized", [4])
    finding = report.results[0].findings[0]
    assert id_words in _hint("id", finding)
    assert en_words in _hint("en", finding)
