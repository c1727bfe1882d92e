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
from bot.settings.office import OfficeConfig, Vendor
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
        self._links = links
        self._vendors = {v.name: v for v in config.vendors}

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

    def vendor(self, b: Break | None) -> Vendor | None:
        """Who repairs the broken part (for ``pusat``, the helpdesk); None: nobody named."""
        name = b.part.vendor if b is not None and b.part is not None else None
        return self._vendors.get(name) if name else None

    def locate(self, site: str | None, results: Sequence[CheckResult]) -> Break | None:
        """The break on ``site``'s path, or None when the site has no path or no results."""
        path = self._paths.get(site or "")
        if not path or not results:
            return None
        ip = next((r for r in results if r.step == IPCONFIG), None)
        # An agent that did not answer says nothing of its server's address settings.
        local_ok = ip is None or ip.status != Status.FAIL or _from_agent(ip)
        return locate(path, answers(results, [p.check for p in path]), local_ok=local_ok)


def first_vendor(vendors: Sequence[Vendor], name: str | None) -> list[Vendor]:
    """The vendor list with the broken part's vendor ``name`` first, the rest in order:
    the JF ADB calls the one who repairs that part, not the first configured."""
    return sorted(vendors, key=lambda v: v.name != name)


def service_id_for(b: Break | None, vendor: str) -> str:
    """The broken line's id when ``vendor`` repairs it (told on the phone), else ""."""
    if b is None or b.part is None or b.part.vendor != vendor:
        return ""
    return b.part.service_id


def fault_view(b: Break | None, vendor: Vendor | None = None) -> dict[str, Any] | None:
    """What the templates show of a break (None: nothing to say); ``vendor``: the one who
    repairs it, whose phone the JF ADB's report gives."""
    if b is None or not (b.found or b.unknown):
        return None
    part = b.part or b.unknown
    return {
        "phone": vendor.phone if vendor else "",
        "contact": vendor.contact if vendor else "",
        "before_first": b.before_first,
        "unknown": b.unknown is not None,
        "name": part.name if part else "",
        "kind": part.kind if part else "",
        "vendor": part.vendor if part else None,
        "service_id": part.service_id if part else "",
        "outside": b.outside_office,
    }
