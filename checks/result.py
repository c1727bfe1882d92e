"""Build a step's ``CheckResult`` from its findings, with its timing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from checks.models import CheckResult, Finding, Status, worst
from checks.steps import STEP_NAMES


class StepTimer:
    """Started when a step starts; ``result()`` closes it into a CheckResult."""

    def __init__(self, step: int) -> None:
        self.step, self.name = step, STEP_NAMES[step]
        self.started_at = datetime.now(UTC)
        self._t0 = time.perf_counter()

    def result(
        self,
        summary: str,
        findings: Sequence[Finding] = (),
        details: dict[str, Any] | None = None,
        status: Status | None = None,
    ) -> CheckResult:
        """The step's result; status defaults to the worst finding (OK for none)."""
        return CheckResult(
            step=self.step,
            name=self.name,
            status=status if status is not None else worst([f.severity for f in findings]),
            summary=summary,
            findings=tuple(findings),
            details=details or {},
            started_at=self.started_at,
            duration_s=time.perf_counter() - self._t0,
        )
