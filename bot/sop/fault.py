"""Where the fault is on a site's path to SIAK, read from an incident's check results.

A site with ``path`` in its [[sites]] entry: each part's ``check`` (a target or a
service) is looked up in the results of steps 2, 4 and 5; ``bot.domain.path.locate``
walks the path from the nearest part out. The ADB's prompt and the reports name the
part, its kind and who repairs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.path import Break, locate
from bot.settings.office import OfficeConfig
from checks.models import CheckResult, Status
from checks.steps import IPCONFIG, PING, SERVICES, SOFTWARE

_NAMED_STEPS = (SOFTWARE, PING, SERVICES)  # the steps whose findings name targets and services


def answers(results: Sequence[CheckResult], names: Sequence[str]) -> dict[str, bool | None]:
    """Each name: False when a step failed about it, None when no step could ask (not
    run, unavailable, its agent not answering), else True."""
    ran = [
        r
        for r in results
        if r.step in _NAMED_STEPS
        and r.status not in (Status.UNAVAILABLE, Status.ERROR)
        and not any(f.code.startswith("agent.") for f in r.findings)
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
        self._links = links

    def parts(self, site: str | None) -> tuple[str, ...]:
        """The names of the parts on ``site``'s path, nearest first (none: no path)."""
        return tuple(link.name for link in self._paths.get(site or "", ()))

    def behind(self, part: str) -> tuple[str, ...]:
        """The sites whose path crosses ``part``: all of them lose SIAK when it breaks."""
        return tuple(site for site, path in self._paths.items() if part in (p.name for p in path))

    def shared(self, part: str) -> bool:
        """Whether ``part`` is on several sites' paths (a VPN, the data center)."""
        return len(self.behind(part)) > 1

    def check(self, part: str) -> str | None:
        """The target or service that answers when ``part`` works."""
        link = self._links.get(part)
        return link.check if link else None

    def locate_answers(self, site: str | None, answers: Mapping[str, bool | None]) -> Break | None:
        """The break on ``site``'s path from monitoring's answers by check name (it reads
        no address settings: the site's own network is taken as working)."""
        path = self._paths.get(site or "")
        return locate(path, answers, local_ok=True) if path else None

    def locate(self, site: str | None, results: Sequence[CheckResult]) -> Break | None:
        """The break on ``site``'s path, or None when the site has no path or no results."""
        path = self._paths.get(site or "")
        if not path or not results:
            return None
        ip = next((r for r in results if r.step == IPCONFIG), None)
        local_ok = ip is None or ip.status != Status.FAIL
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
