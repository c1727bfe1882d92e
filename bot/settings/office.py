"""The office's TOML file as the bot reads it.

``OfficeConfig`` is the checks' sections (``checks.config.CheckConfig``) plus the
sites, the vendors, the staff and the bot's limits; a misspelt key stops start-up
with a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from checks.config import CheckConfig, Name, Section, load_config, unique_names


class Site(Section):
    """An office or sub-district office; its server may run an agent."""

    name: Name
    agent_url: str | None = None  # e.g. https://10.0.0.5:8443
    agent_token_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    agent_ca_file: Path | None = None  # pinned certificate of a self-signed agent
    # What monitoring watches at this site, by the names in its agent's config (or, with
    # no agent, this file's [[targets]]/[[services]]); None: [monitor]'s lists.
    monitor_targets: tuple[Name, ...] | None = None
    monitor_services: tuple[Name, ...] | None = None
    # The [[links]] from this site to SIAK, nearest first; empty: checked as a flat list.
    path: tuple[Name, ...] = ()

    @field_validator("agent_url")
    @classmethod
    def _agent_url(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"https?://[^/?#\s@]+(:\d+)?/?", v):
            raise ValueError("expected the agent's address, e.g. https://10.0.0.5:8443")
        return v


class Vendor(Section):
    """A third party (vendor, ISP) that repairs what the office cannot (SOP step 11)."""

    name: Name
    phone: str = ""
    contact: str = ""
    note: str = ""


LinkKind = Literal["lan", "isp", "vpn", "pusat"]


class Link(Section):
    """One part of the path from an office to SIAK in the Kemendagri data center.

    ``check`` is a [[targets]] or [[services]] name that answers while this part works
    (on the site's agent, for a site with one); ``vendor`` the [[vendors]] entry that
    repairs it, or for ``pusat`` (the data center, not the office's to repair) the
    helpdesk to call; ``service_id`` the line's id, told to the vendor.
    """

    name: Name
    kind: LinkKind
    check: Name
    vendor: Name | None = None
    service_id: str = Field(default="", max_length=100)


class Limits(Section):
    """The bot's flood guards and how long it keeps what it no longer needs.

    ``complaints_per_user`` per ``window_minutes``: complaints one user may file (0 = no
    limit). ``updates_per_minute``: commands, buttons and private messages one user may
    send before the bot answers once and then stays silent until they slow down
    (``handlers/guard.py``); ADBs get ``adb_updates_per_minute``, higher, because in an
    outage they press many buttons and a silent bot would stall the SOP (0 = no limit).
    ``inbox_days``: handled updates are kept this long, then pruned.
    """

    complaints_per_user: int = Field(default=5, ge=0, le=1000)
    window_minutes: int = Field(default=30, ge=1, le=24 * 60)
    updates_per_minute: int = Field(default=20, ge=0, le=10_000)
    adb_updates_per_minute: int = Field(default=120, ge=0, le=10_000)
    inbox_days: int = Field(default=30, ge=1, le=3650)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Minutes = Annotated[float, Field(gt=0, le=7 * 24 * 60, allow_inf_nan=False)]


class Office(Section):
    """The office: its name on documents, and its calendar for the SOP's clock."""

    government: str = Field(default="Pemerintah Kabupaten Pesisir Selatan", max_length=200)
    name: str = Field(default="Dinas Kependudukan dan Pencatatan Sipil", max_length=200)
    address: str = Field(default="", max_length=300)
    city: str = Field(default="Painan", max_length=100)
    timezone: str | None = None  # None: NETMAINT_TZ
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    hours: str = "07:30-16:00"
    national_holidays: str = Field(default="ID", pattern=r"^([A-Z]{2})?$")  # "" for none
    days_off: tuple[date, ...] = ()  # the office's own days off (cuti bersama)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{v!r} is not a time zone; expected e.g. Asia/Jakarta") from None
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        m = re.fullmatch(r"([01]\d|2[0-3])[.:]([0-5]\d)-([01]\d|2[0-3])[.:]([0-5]\d)", v.strip())
        if m is None or (int(m[1]), int(m[2])) >= (int(m[3]), int(m[4])):
            raise ValueError("expected opening-closing time, e.g. 07:30-16:00")
        return v.strip()

    @property
    def opening(self) -> time:
        return time(int(self.hours[0:2]), int(self.hours[3:5]))

    @property
    def closing(self) -> time:
        return time(int(self.hours[6:8]), int(self.hours[9:11]))


class Sla(Section):
    """The SOP's clock: when the ADB is reminded and who is told when it runs late.

    Defaults are the SOP's standard times (mutu baku); fractions are allowed.
    """

    decision_minutes: Minutes | None = None  # None: the SOP's standard for step 7 (5)
    remind_every_minutes: Minutes = 5
    escalate_decision_minutes: Minutes = 10
    total_minutes: Minutes | None = None  # None: the SOP's total standard (43-73: 73)
    vendor_follow_up_hours: Annotated[float, Field(gt=0, le=24 * 14, allow_inf_nan=False)] = 4
    pause_outside_office_hours: bool = True
    # An incident that lasted longer (office time, as the Kabid's report counts it) has its
    # Berita Acara Gangguan Jaringan attached to the Kabid's report; 0: never.
    berita_acara_after_minutes: float = Field(default=60, ge=0, le=7 * 24 * 60, allow_inf_nan=False)


class Grouping(Section):
    """When complaints join one incident instead of each starting its own diagnosis.

    A complaint about a site joins its incident while that is being diagnosed or awaits
    the ADB's decision, and for ``window_minutes`` after the decision.
    """

    window_minutes: float = Field(default=15, ge=0, le=24 * 60, allow_inf_nan=False)


class Monitor(Section):
    """Early warning: chosen ``[[targets]]`` and ``[[services]]`` of each site, checked
    every ``interval_seconds`` where the site's checks run. A thing is down after
    ``down_after`` failed checks in a row and up again after ``up_after`` good ones, so a
    flapping link never pages anyone twice. Off unless the section is in the file.
    """

    interval_seconds: float = Field(default=60, gt=0, le=24 * 3600, allow_inf_nan=False)
    down_after: int = Field(default=3, ge=1, le=1000)
    up_after: int = Field(default=2, ge=1, le=1000)
    targets: tuple[Name, ...] = ()  # names from [[targets]]
    services: tuple[Name, ...] = ()  # names from [[services]]
    # A site whose checks take longer counts as down (a hung agent), for that site only.
    timeout_seconds: float = Field(default=30, gt=0, le=3600, allow_inf_nan=False)
    concurrency: int = Field(default=8, ge=1, le=256)  # sites checked at once


# A civil servant's NIP: 18 digits, often written in groups ("19780512 200501 1 003").
NIP = Annotated[str, Field(max_length=30, pattern=r"^[0-9 ]*$")]
PersonName = Annotated[str, Field(min_length=1, max_length=200)]  # titles and commas allowed


class Staff(Section):
    """Someone of the office, as documents name them: a Telegram id, the name, NIP and position.

    The agenda and the recap print this name instead of the Telegram one; someone not
    listed appears under their Telegram name. ``site``: the [[sites]] entry they work
    at, so their one-line /lapor is filed there without asking.
    """

    telegram_id: int
    name: PersonName
    nip: NIP = ""
    position: str = Field(default="", max_length=200)
    site: Name | None = None


class Signatory(Section):
    """Who signs the documents (Permendagri 1/2023: position, name and NIP under the date)."""

    name: str = Field(default="", max_length=200)
    nip: NIP = ""
    position: str = Field(
        default="Kepala Bidang Pengelolaan Informasi Administrasi"
        " Kependudukan dan Pemanfaatan Data",
        max_length=300,
    )


class OfficeConfig(CheckConfig):
    """The whole TOML file: the checks' sections and the bot's."""

    sites: tuple[Site, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    limits: Limits = Limits()
    grouping: Grouping = Grouping()
    office: Office = Office()
    sla: Sla = Sla()
    monitor: Monitor | None = None  # None: no monitoring
    links: tuple[Link, ...] = ()

    @model_validator(mode="after")
    def _paths_are_whole(self) -> OfficeConfig:
        """Every path names known links once each; every link is on a path, names a known
        vendor, and (where a site's checks run in the bot) a known check."""
        unique_names(self.links, "links")
        links = {link.name: link for link in self.links}
        on_a_path: set[str] = set()
        local = {t.name for t in self.targets} | {s.name for s in self.services}
        for i, site in enumerate(self.sites):
            twice = sorted({n for n in site.path if site.path.count(n) > 1})
            if twice:
                raise ValueError(
                    f"sites[{i}].path: {twice[0]!r} is named twice; each part of the path "
                    "once, nearest first"
                )
            for name in site.path:
                if name not in links:
                    raise ValueError(
                        f"sites[{i}].path: {name!r} is not the name of any [[links]] entry; "
                        f"use one of: {', '.join(sorted(links)) or '(none yet)'}"
                    )
                on_a_path.add(name)
                if site.agent_url is None and links[name].check not in local:
                    raise ValueError(
                        f"links.{name}.check: {links[name].check!r} is not the name of any "
                        "[[targets]] or [[services]] entry (site "
                        f"{site.name!r} runs its checks here)"
                    )
        vendors = {v.name for v in self.vendors}
        for i, link in enumerate(self.links):
            if link.name not in on_a_path:
                raise ValueError(
                    f"links[{i}]: {link.name!r} is on no site's path; add it to the path of "
                    "the sites it serves ([[sites]] path = [...]) or remove it"
                )
            if link.vendor is not None and link.vendor not in vendors:
                raise ValueError(
                    f"links[{i}].vendor: {link.vendor!r} is not the name of any [[vendors]] "
                    f"entry; use one of: {', '.join(sorted(vendors)) or '(none yet)'}"
                )
        return self

    @model_validator(mode="after")
    def _monitored_names_exist(self) -> OfficeConfig:
        """A watched name must be configured: a typo would watch nothing, silently."""
        m = self.monitor
        if m is None:
            return self
        for key, have in (("targets", self.targets), ("services", self.services)):
            known = {x.name for x in have}
            # [monitor]'s own lists, and those of each site whose checks run here (a
            # site's agent has its own config: the bot checks those names at start).
            lists = [(f"monitor.{key}", getattr(m, key))] + [
                (f"sites[{i}].monitor_{key}", getattr(s, f"monitor_{key}"))
                for i, s in enumerate(self.sites)
                if s.agent_url is None and getattr(s, f"monitor_{key}") is not None
            ]
            for where, names in lists:
                unknown = [n for n in names if n not in known]
                if unknown:
                    raise ValueError(
                        f"{where}: {', '.join(map(repr, unknown))} is not the name of any "
                        f"[[{key}]] entry; use one of: "
                        f"{', '.join(sorted(known)) or '(none yet)'}"
                    )
        return self

    @model_validator(mode="after")
    def _unique_office_names(self) -> OfficeConfig:
        unique_names(self.sites, "sites")
        unique_names(self.vendors, "vendors")
        return self

    staff: tuple[Staff, ...] = ()
    signatory: Signatory = Signatory()

    @model_validator(mode="after")
    def _staff_sites_exist(self) -> OfficeConfig:
        """A staff member's site must be configured: a typo would file at no site, silently."""
        sites = {s.name for s in self.sites}
        for i, person in enumerate(self.staff):
            if person.site is not None and person.site not in sites:
                raise ValueError(
                    f"staff[{i}].site: {person.site!r} is not the name of any [[sites]] entry; "
                    f"use one of: {', '.join(sorted(sites)) or '(none yet)'}"
                )
        return self

    def staff_site(self, telegram_id: int) -> str | None:
        """The site the office's staff list gives this person, if any."""
        return next((s.site for s in self.staff if s.telegram_id == telegram_id), None)

    @field_validator("staff")
    @classmethod
    def _one_entry_per_id(cls, v: tuple[Staff, ...]) -> tuple[Staff, ...]:
        seen: set[int] = set()
        for s in v:
            if s.telegram_id in seen:
                raise ValueError(f"telegram_id {s.telegram_id} is listed twice in [[staff]]")
            seen.add(s.telegram_id)
        return v


def load_office_config(path: Path | str | None) -> OfficeConfig:
    """Read the office's TOML file strictly; raise ``checks.config.ConfigError`` naming the key."""
    return load_config(path, model=OfficeConfig)
