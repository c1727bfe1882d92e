"""Typed, immutable results of the SOP's diagnostic steps 2-6.

A probe that fails is data, not an exception: every check returns a
``CheckResult``, and ``run_sop_checks`` gathers them into a ``Report``.
The models are pydantic so the agent can serve them and the bot can parse
them back without a second schema. User-visible wording is *not* here: a
finding carries a ``code`` and ``params`` that templates turn into text.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from checks.steps import CHECK_STEPS, STEP_NAMES


class Status(StrEnum):
    """Outcome of one check, or of a whole report."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # the check itself could not run (a bug or an unexpected fault)
    UNAVAILABLE = "unavailable"  # the machine lacks the capability (no sensors, no ICMP)


# Worst-first ranking used for verdicts. UNAVAILABLE ranks below WARN: a
# missing temperature sensor must not turn a healthy server into a warning.
_RANK = {
    Status.OK: 0,
    Status.UNAVAILABLE: 1,
    Status.WARN: 2,
    Status.ERROR: 3,
    Status.FAIL: 4,
}

# Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
_NAGIOS = {
    Status.OK: 0,
    Status.UNAVAILABLE: 0,
    Status.WARN: 1,
    Status.FAIL: 2,
    Status.ERROR: 3,
}


def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
    """The most severe status of several (OK for none)."""
    return max(statuses, key=_RANK.__getitem__, default=Status.OK)


def nagios_exit_code(status: Status) -> int:
    """Exit status for monitoring systems (Nagios, Icinga, Zabbix)."""
    return _NAGIOS[status]


def _known_step(step: int) -> int:
    if step not in STEP_NAMES:
        raise ValueError(
            f"{step} is not a check step; the check steps are "
            + ", ".join(str(s) for s in CHECK_STEPS)
        )
    return step


# One SOP check step in a model: a JSON integer from ``CHECK_STEPS``, an enum in the
# agent's OpenAPI document. Strict, as the agent's request always was: "2" is refused.
Step = Annotated[
    int,
    Strict(),
    AfterValidator(_known_step),
    Field(json_schema_extra={"enum": list(CHECK_STEPS)}),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(_Frozen):
    """One thing a check noticed, e.g. ``code="ping.no_reply", subject="gateway"``.

    ``code`` selects the plain-language hint in the templates; ``params``
    fills it in. Keep params JSON scalars.
    """

    code: str
    severity: Status
    subject: str = ""
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class CheckResult(_Frozen):
    """The result of one SOP step (2-6) on one machine."""

    step: Step
    name: str  # machine name of the step (checks.steps.STEP_NAMES)
    status: Status
    summary: str  # one technical line for logs and JSON; user text comes from templates
    findings: tuple[Finding, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime
    duration_s: float = Field(ge=0)


class Report(_Frozen):
    """Steps 2-6 run together on one machine, with an overall verdict."""

    host: str  # the machine the checks ran on
    started_at: datetime
    duration_s: float = Field(ge=0)
    results: tuple[CheckResult, ...]
    verdict: Status

    @property
    def exit_code(self) -> int:
        return nagios_exit_code(self.verdict)

    def result(self, step: int) -> CheckResult | None:
        return next((r for r in self.results if r.step == step), None)
