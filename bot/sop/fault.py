"""Where the fault is on a site's path to SIAK, read from an incident's check results.

A site with ``path`` in its [[sites]] entry: each part's ``check`` (a target or a
service) is looked up in the results of steps 2, 4 and 5; ``bot.domain.path.locate``
walks the path from the nearest part out. The ADB's prompt and the reports name the
part, its kind and who repairs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.path import Break, locate
from bot.settings.office import OfficeConfig
from checks.models import CheckResult, Status
from checks.steps import IPCONFIG, PING, SERVICES, SOFTWARE

_NAMED_STEPS = (SOFTWARE, PING, SERVICES)  # the steps whose findings name targets and services


def _from_agent(result: CheckResult) -> bool:
    """The result is the bot's note that the site's agent could not be asked."""
    return any(f.code.startswith("agent.") for f in result.findings)


def answers(results: Sequence[CheckResult], names: Sequence[str]) -> dict[str, bool | None]:
    """Each name: False when a step failed about it, None when no step could ask (not
    run, unavailable, its agent not answering), else True."""
    ran = [
        r
        for r in results
        if r.step in _NAMED_STEPS
        and r.status not in (Status.UNAVAILABLE, Status.ERROR)
        and not _from_agent(r)
    ]
    out: dict[str, bool | None] = {}
    for name in names:
        if not ran:
            out[name] = None
            continue
        out[name] = not any(
            f.subject == name and f.severity == Status.FAIL for r in ran for f in r.findings
        )
    return out


class Paths:
    """The office's paths, by site."""

    def __init__(self, config: OfficeConfig) -> None:
        links = {link.name: link for link in config.links}
        self._paths = {s.name: tuple(links[n] for n in s.path) for s in config.sites if s.path}

    def locate(self, site: str | None, results: Sequence[CheckResult]) -> Break | None:
        """The break on ``site``'s path, or None when the site has no path or no results."""
        path = self._paths.get(site or "")
        if not path or not results:
            return None
        ip = next((r for r in results if r.step == IPCONFIG), None)
        # An agent that did not answer says nothing of its server's address settings.
        local_ok = ip is None or ip.status != Status.FAIL or _from_agent(ip)
        return locate(path, answers(results, [p.check for p in path]), local_ok=local_ok)


def fault_view(b: Break | None) -> dict[str, Any] | None:
    """What the templates show of a break (None: nothing to say)."""
    if b is None or not (b.found or b.unknown):
        return None
    part = b.part or b.unknown
    return {
        "before_first": b.before_first,
        "unknown": b.unknown is not None,
        "name": part.name if part else "",
        "kind": part.kind if part else "",
        "vendor": part.vendor if part else None,
        "service_id": part.service_id if part else "",
        "outside": b.outside_office,
    }
