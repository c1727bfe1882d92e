"""Fuzz the real agent over HTTPS from its own OpenAPI document: no answer may be a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from tests.support.agent import (
    AgentProcess,
    free_port,
    loopback_config,
    start_agent,
    write_tls_files,
)


@pytest.fixture(scope="module")
def fuzzed_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    workdir = tmp_path_factory.mktemp("agent-fuzz")
    ca_file, cert_file, key_file = write_tls_files(workdir / "tls", trustme.CA())
    port = free_port()
    # one ping per target keeps each diagnosis short; the bound is high enough for the fuzzer
    config = loopback_config(tls=(cert_file, key_file), service_port=port, ping_count=1)
    running = start_agent(workdir, config, port=port, ca_file=ca_file, log_level="info")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def agent_schema(fuzzed_agent: AgentProcess) -> schemathesis.BaseSchema:
    with fuzzed_agent.client(timeout=10) as client:
        response = client.get("/v1/openapi.json", headers=fuzzed_agent.headers())
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


def test_no_request_from_the_schema_gets_a_server_error(
    agent_schema: schemathesis.BaseSchema, fuzzed_agent: AgentProcess
) -> None:
    cases = st.one_of(agent_schema.as_strategy(mode) for mode in GenerationMode)
    seen: set[int] = set()

    @given(case=cases)
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure here is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def no_server_error(case: schemathesis.Case) -> None:
        response = case.call(
            base_url=fuzzed_agent.url,
            headers=fuzzed_agent.headers(),
            verify=str(fuzzed_agent.ca_file),
            timeout=30,
        )
        seen.add(response.status_code)
        assert response.status_code < 500, (case.method, case.path, response.text)
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert content_type == ["application/json"]
        if response.status_code >= 400:
            assert {"error", "message"} <= set(response.json())

    no_server_error()
    # both requests the agent serves and requests it refuses were made
    assert 200 in seen and any(400 <= code < 500 for code in seen), seen


def test_the_openapi_document_declares_the_bearer_token(fuzzed_agent: AgentProcess) -> None:
    with fuzzed_agent.client(timeout=10) as client:
        document = client.get("/v1/openapi.json", headers=fuzzed_agent.headers()).json()
        assert client.get("/v1/openapi.json").status_code == 401
    schemes = document["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    assert set(document["paths"]) == {
        "/v1/health",
        "/v1/version",
        "/v1/names",
        "/v1/diagnose",
        "/v1/hardware",
    }
