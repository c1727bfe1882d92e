"""A month or date no agenda can hold is refused in words, not a traceback (issue 19)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.documents.period import PeriodError, parse_date, parse_month
from bot.storage import Database
from tests.support import REPO

WIB = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize("text", ["9999-12", "Desember 9999", "12/9999", "1999-12", "2026-13"])
def test_a_month_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="expected YYYY-MM"):
        parse_month(text, WIB)


@pytest.mark.parametrize("text", ["31/12/9999", "9999-12-31", "01/01/1999"])
def test_a_date_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="2000-2100"):
        parse_date(text)


def test_the_last_month_the_agenda_holds_still_works() -> None:
    p = parse_month("Desember 2100", WIB)
    assert p.key == "2100-12"


async def test_netmaint_rekap_refuses_9999_with_exit_2(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db"):
        pass
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "rekap", "--month", "9999-12"],
        cwd=REPO,
        env={"NETMAINT_DB": str(tmp_path / "n.db"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "9999-12" in proc.stderr
