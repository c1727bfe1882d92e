"""National holidays, worked out in a child process and kept as plain dates.

The ``holidays`` package costs the bot about 7.6 MB resident (its base classes,
the lunar and Hijri tables, Indonesia's module) for one question asked a few
times a day: "is this day a national holiday?". A short-lived child answers it
for a few years at a time and prints the dates; the bot keeps only the dates
(a few dozen a year), so none of the package's tables stay in its memory.

Run as ``python -m bot.settings.holidays ID 2026 2027``: one JSON object,
``{"2026": ["2026-01-01", ...], ...}``; exit 2 for a country the package
does not know.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

_AROUND = (-1, 0, 1, 2)  # the years asked together: last year's reports, this year, the next
_CHILD_TIMEOUT_S = 60
_UNKNOWN_EXIT = 2


class UnknownCountry(ValueError):
    """``[office] national_holidays`` names a country the holidays package does not know."""


class NationalHolidays:
    """``day in NationalHolidays("ID")``: one country's holidays, year by year.

    Shared per country (``for_country``): every calendar in the process asks
    the same child once per few years."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._years: dict[int, frozenset[date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day.year not in self._years:
            wanted = [day.year + d for d in _AROUND if day.year + d not in self._years]
            self._years.update(_dates(self.code, wanted))
        return day in self._years[day.year]


_SHARED: dict[str, NationalHolidays] = {}


def for_country(code: str) -> NationalHolidays:
    """The process's one ``NationalHolidays`` for ``code``."""
    if code not in _SHARED:
        _SHARED[code] = NationalHolidays(code)
    return _SHARED[code]


def _dates(code: str, years: list[int]) -> dict[int, frozenset[date]]:
    """The holidays of ``years``, from a child process."""
    done = subprocess.run(
        [sys.executable, "-m", __name__, code, *map(str, years)],
        capture_output=True,
        text=True,
        timeout=_CHILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode == _UNKNOWN_EXIT:
        raise UnknownCountry(
            f"[office] national_holidays = {code!r} bukan kode negara yang dikenal; "
            'isi kode dua huruf seperti "ID", atau "" untuk tanpa libur nasional'
        )
    if done.returncode != 0:
        raise RuntimeError(f"national holidays {code}: child exited {done.returncode}")
    found = json.loads(done.stdout)
    return {int(y): frozenset(date.fromisoformat(d) for d in days) for y, days in found.items()}


def _country(code: str) -> type | None:
    """The package's class for ``code``, importing that country's module only.

    ``holidays.countries``' ``__init__`` imports all 250 countries (twice the
    memory and time of one), so the package is registered bare (its folder,
    none of its names) before the one module is imported."""
    import importlib
    import importlib.util
    import types

    from holidays.registry import COUNTRIES

    found = next(((m, names[0]) for m, names in COUNTRIES.items() if code in names[1:]), None)
    if found is None:
        return None
    if "holidays.countries" not in sys.modules:
        spec = importlib.util.find_spec("holidays.countries")
        if spec is not None and spec.submodule_search_locations is not None:
            bare = types.ModuleType("holidays.countries")
            bare.__path__ = list(spec.submodule_search_locations)
            bare.__package__ = "holidays.countries"
            sys.modules["holidays.countries"] = bare
    module, name = found
    country: type = getattr(importlib.import_module(f"holidays.countries.{module}"), name)
    return country


def main(argv: list[str]) -> int:
    code, *years = argv
    country = _country(code)
    if country is None:
        print(f"unknown country {code!r}", file=sys.stderr)
        return _UNKNOWN_EXIT
    table = country(years=[int(y) for y in years])
    found: dict[str, list[str]] = {y: [] for y in years}
    for day in table:
        if str(day.year) in found:
            found[str(day.year)].append(day.isoformat())
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
