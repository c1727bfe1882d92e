"""The agent's wire contract: paths and bodies shared by the agent and the bot.

The server (``checks.agent.server``) serves these and the bot's client
(``bot.agents``) sends them, so the two cannot drift apart. The answer to a
diagnosis is ``checks.models.Report``. Only pydantic here: the bot imports
this module without FastAPI.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from checks.config import Name
from checks.models import Step
from checks.steps import CHECK_STEPS

API_VERSION = "v1"
HEALTH_PATH = f"/{API_VERSION}/health"
VERSION_PATH = f"/{API_VERSION}/version"
DIAGNOSE_PATH = f"/{API_VERSION}/diagnose"
HARDWARE_PATH = f"/{API_VERSION}/hardware"
OPENAPI_PATH = f"/{API_VERSION}/openapi.json"
NAMES_PATH = f"/{API_VERSION}/names"


class DiagnoseRequest(BaseModel):
    """Which steps to run and, for step 4, which configured targets to ping."""

    model_config = ConfigDict(extra="forbid")

    steps: list[Step] | None = Field(
        default=None,
        min_length=1,
        max_length=len(CHECK_STEPS),
        description="SOP steps; null runs them all",
    )
    targets: list[Name] | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="names of configured targets to ping; null pings all of them",
    )


class ErrorBody(BaseModel):
    """Every error the agent returns has this shape."""

    error: str = Field(description="machine-readable code, e.g. unknown_target")
    message: str = Field(description="what went wrong and what to do, for an operator")
    names: list[str] | None = None
    problems: list[dict[str, str]] | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Version(BaseModel):
    name: str
    version: str
    api: str
    host: str


class Names(BaseModel):
    """What an agent checks, by name: monitoring watches only names its agent has."""

    targets: list[str]
    services: list[str]
