"""The SOP operations people start, as one service: filing (step 1), the decision (7-9),
the database recovery after Ya, the third party (11), and the ADB's hands on incidents
(split, merge, dismiss).

Each part is its own module; each operation is one transaction of state,
timeline and outbox through ``Transitions.apply``, and either returns
``Outcome.OK`` or raises ``Refused`` with the reason (what it recorded about
the refusal committed). The diagnosis runs beside them (``Diagnoses``).
Handlers call these after parsing; the roles are checked here again,
whatever a button says. ``Preview`` says beforehand what a press will answer.
"""

from __future__ import annotations

from bot.domain.model import UNDECIDED
from bot.sop.decision import Decision
from bot.sop.filing import MONITOR_REPORTER, Filing, RateLimited
from bot.sop.hands import Hands
from bot.sop.preview import Preview
from bot.sop.recovery import Recovery
from bot.sop.third_party import ThirdParty
from bot.sop.transition import Press

__all__ = ["MONITOR_REPORTER", "UNDECIDED", "Press", "RateLimited", "Workflow"]


class Workflow(Filing, Decision, Recovery, ThirdParty, Hands, Preview):
    """The SOP operations, bound to one database, message queue and office config."""
