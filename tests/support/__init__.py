"""What tests and benchmarks share: stand-ins, builders, a fake clock. No tests here.

Tests import these modules, never another test module or a ``conftest.py``; the
conftest files hold only fixtures, built from these.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the repository's root
