"""Everything the SOP needs, wired once per process: what handlers and the runtime get.

Built in one place so that nothing is patched in after construction: the
queue exists before the sender, the transitions before the diagnoses, the
diagnoses before the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.agents import AgentLookup
from bot.delivery.queue import MessageQueue
from bot.documents.service import Documents
from bot.domain.calendar import OfficeCalendar
from bot.domain.clock import Clock, utc_now
from bot.domain.model import Role
from bot.render.views import Views
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.sop.berita import BeritaAcara
from bot.sop.deadlines import Deadlines
from bot.sop.diagnosis import Diagnoses
from bot.sop.fault import Paths
from bot.sop.monitor import Monitoring, Probe
from bot.sop.queries import Queries
from bot.sop.receipts import Receipts
from bot.sop.records import Records
from bot.sop.transition import Transitions
from bot.sop.workflow import Workflow
from bot.storage import Database


@dataclass(frozen=True, slots=True)
class Services:
    """The SOP's parts for one database, settings and office config."""

    settings: Settings
    config: OfficeConfig
    clock: Clock
    db: Database
    views: Views
    queue: MessageQueue
    diagnoses: Diagnoses
    workflow: Workflow
    queries: Queries
    records: Records
    deadlines: Deadlines
    monitoring: Monitoring
    documents: Documents
    berita: BeritaAcara  # the Berita Acara Gangguan Jaringan of an incident


def build_services(
    settings: Settings,
    config: OfficeConfig,
    db: Database,
    *,
    agent_for: AgentLookup,
    clock: Clock = utc_now,
    probe: Probe | None = None,
) -> Services:
    """Wire the SOP's parts; ``agent_for`` says where each site's checks run (and so
    where monitoring looks, unless a test gives its own ``probe``)."""
    calendar = OfficeCalendar(
        config.office, settings.tz, paused=config.sla.pause_outside_office_hours
    )
    views = Views(
        settings.lang,
        calendar.tz,
        calendar,
        staff={s.telegram_id: s.name for s in config.staff},
        total_minutes=config.sla.total_minutes,
    )
    # The SOP's record of each delivery: the sender reports to it, knowing no SOP step.
    queue = MessageQueue(db, views, settings.adb_chats, hooks=Receipts())
    chats = {Role.JF_ADB: settings.jf_adb_chat_id, Role.KABID: settings.kabid_chat_id}
    paths = Paths(config)
    transitions = Transitions(queue, chats, paths)
    diagnoses = Diagnoses(db, queue, transitions, agent_for, paths)
    workflow = Workflow(
        db,
        queue,
        transitions,
        diagnoses,
        limits=config.limits,
        vendors=config.vendors,
        grouping=config.grouping,
    )
    return Services(
        settings=settings,
        config=config,
        clock=clock,
        db=db,
        views=views,
        queue=queue,
        diagnoses=diagnoses,
        workflow=workflow,
        queries=Queries(db, views, calendar.tz),
        records=Records(db, queue),
        deadlines=Deadlines(db, queue, chats, config.sla, calendar, clock),
        monitoring=Monitoring(db, queue, workflow, config, agent_for, clock, probe),
        documents=Documents(db, config, settings.lang, calendar.tz),
        berita=BeritaAcara(db, config, views, paths),
    )
