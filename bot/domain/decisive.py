"""Which diagnosis round decided an incident: what the reports and the documents name.

The ADB's answer at step 7 says whether the network worked on a round: a round
answered Tidak or Cek ulang did not, and its failed and warning findings are what
decided the incident. A Kabid report after a repair comes on a clean (or merely busy)
last round, so the deciding round is the newest answered Tidak or Cek ulang that found
something, else the newest that found something. Pure: rounds and answers come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.domain.model import Action
from checks.models import CheckResult, Status

# Finding severities a report names as what decided the incident.
DECISIVE = frozenset({Status.FAIL, Status.WARN})
# The step-7 answers that say the network was not working on that round.
NOT_WORKING = frozenset({str(Action.NO), str(Action.RECHECK)})


def found_something(results: Iterable[CheckResult]) -> bool:
    return any(f.severity in DECISIVE for r in results for f in r.findings)


def deciding_round(
    rounds: Mapping[int, Sequence[CheckResult]], answers: Iterable[tuple[int | None, str]]
) -> int | None:
    """The round whose findings decided the incident (None: no round found anything).

    ``rounds``: each diagnosis round's results; ``answers``: (round, step-7 action)."""
    not_working = sorted({r for r, a in answers if r is not None and a in NOT_WORKING})
    for r in [*reversed(not_working), *sorted(rounds, reverse=True)]:
        if found_something(rounds.get(r, ())):
            return r
    return None
