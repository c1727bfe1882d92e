"""What a ``netmaint doctor`` finding is: its level and the key of its wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Level(IntEnum):
    """How bad a finding is; the worst one decides the exit status."""

    OK = 0
    WARN = 1
    FAIL = 2
    UNREADABLE = 3  # the configuration itself cannot be read


ICONS = {Level.OK: "✅", Level.WARN: "⚠️", Level.FAIL: "❌", Level.UNREADABLE: "❌"}


@dataclass(frozen=True, slots=True)
class DoctorLine:
    """One line of the report: its level, its wording's key and what the wording shows."""

    level: Level
    key: str
    params: dict[str, Any] = field(default_factory=dict)
