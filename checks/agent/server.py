"""The agent's HTTP API: the SOP's checks of this server, served to the bot.

Read-only by design, like node_exporter or the Zabbix agent: it runs only
what the config lists, and a request may narrow the ping targets by their
configured *name*, never name an address, so the agent cannot be turned
into a scanner. The ``Guard`` middleware checks address, token, size and
load before FastAPI reads a byte of the body; ``checks.agent.listener``
closes strangers and slow clients before HTTP.
"""

from __future__ import annotations

import importlib.metadata
import logging
import socket
from collections.abc import Awaitable, Callable, Collection
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from checks.agent.api import (
    API_VERSION,
    DIAGNOSE_PATH,
    HARDWARE_PATH,
    HEALTH_PATH,
    NAMES_PATH,
    OPENAPI_PATH,
    VERSION_PATH,
    DiagnoseRequest,
    ErrorBody,
    Health,
    Names,
    Version,
)
from checks.agent.guard import MAX_BODY_BYTES, Guard, error_response
from checks.config import CheckConfig
from checks.models import CheckResult, Report
from checks.steps import HARDWARE

log = logging.getLogger(__name__)

RunChecks = Callable[[CheckConfig, Collection[int] | None], Awaitable[Report]]

_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 408, 413, 503)
}
_bearer = HTTPBearer(auto_error=False, description="the agent's AGENT_TOKEN")


def _declare_bearer(
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Puts the bearer scheme in the OpenAPI document; ``Guard`` checks the token."""


async def _default_run_checks(config: CheckConfig, steps: Collection[int] | None) -> Report:
    from checks.runner import run_sop_checks

    return await run_sop_checks(config, steps=steps)


def _package_version() -> str:
    try:
        return importlib.metadata.version("netmaint")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def create_app(config: CheckConfig, token: str, *, run_checks: RunChecks | None = None) -> FastAPI:
    """The agent's ASGI application, guarded; ``run_checks`` defaults to the real runner."""
    run = run_checks or _default_run_checks
    app = FastAPI(
        title="netmaint agent",
        version=_package_version(),
        description="Runs the network-maintenance SOP's checks (steps 2-6) on this server.",
        openapi_url=OPENAPI_PATH,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(_declare_bearer)],
        responses=_ERRORS,
    )
    _add_error_handlers(app)
    app.add_middleware(
        Guard,
        token=token,
        allow=config.agent.allow,
        max_concurrent=config.agent.max_concurrent,
        max_body=MAX_BODY_BYTES,
        queue_wait_s=config.agent.queue_wait_s,
        body_timeout_s=config.agent.header_timeout_s,
    )
    known_targets = {t.name for t in config.targets}

    @app.get(HEALTH_PATH)
    async def health() -> Health:
        """200 when the agent runs and the token is right."""
        return Health()

    @app.get(VERSION_PATH)
    async def version() -> Version:
        """What is running here, so the bot can tell an outdated agent."""
        return Version(
            name="netmaint-agent",
            version=_package_version(),
            api=API_VERSION,
            host=socket.gethostname(),
        )

    @app.get(NAMES_PATH)
    async def names() -> Names:
        """The names of the targets and services this agent checks (no addresses)."""
        return Names(
            targets=[t.name for t in config.targets], services=[s.name for s in config.services]
        )

    @app.post(DIAGNOSE_PATH, response_model=Report, responses={422: {"model": ErrorBody}})
    async def diagnose(
        request: Annotated[DiagnoseRequest | None, Body()] = None,
    ) -> Report | JSONResponse:
        """Run the SOP's steps 2-6 (or some) on this server and return the report."""
        request = request or DiagnoseRequest()
        scoped = config
        if request.targets is not None:
            unknown = sorted(set(request.targets) - known_targets)
            if unknown:
                return error_response(
                    422,
                    "unknown_target",
                    "these target names are not in the agent's config: " + ", ".join(unknown),
                    names=unknown,
                )
            wanted = set(request.targets)
            scoped = config.model_copy(
                update={"targets": tuple(t for t in config.targets if t.name in wanted)}
            )
        steps = sorted(set(request.steps)) if request.steps else None
        return await run(scoped, steps)

    @app.get(HARDWARE_PATH)
    async def hardware() -> CheckResult:
        """The hardware snapshot (SOP step 6) of this server."""
        report = await run(config, [HARDWARE])
        result = report.result(HARDWARE)
        if result is None:
            raise RuntimeError(f"the runner returned no result for step {HARDWARE}")
        return result

    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Errors as ``ErrorBody`` JSON; never a traceback to the client."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "where": ".".join(str(part) for part in err.get("loc", ())),
                "problem": str(err.get("msg", "invalid")),
            }
            for err in exc.errors()[:20]
        ]
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(422, "invalid_json", "the body is not valid JSON")
        return error_response(
            422, "invalid_request", "the request does not match the API", problems=problems
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", exc_info=exc)
        return error_response(
            500, "internal", "the agent failed to answer; its log on the server says why"
        )
