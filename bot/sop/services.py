"""Everything the SOP needs, wired once per process: what handlers and the runtime get.

Built in one place so that nothing is patched in after construction: the
queue exists before the sender, the transitions before the diagnoses, the
diagnoses before the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.agents import AgentLookup
from bot.config import OfficeConfig, Settings
from bot.delivery.queue import MessageQueue
from bot.documents.service import Documents
from bot.render.views import Views
from bot.sop.diagnosis import Diagnoses
from bot.sop.model import Clock, Role, utc_now
from bot.sop.queries import Queries
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
    documents: Documents


def build_services(settings: Settings, config: OfficeConfig, db: Database, *,
                   agent_for: AgentLookup, clock: Clock = utc_now) -> Services:
    """Wire the SOP's parts; ``agent_for`` says where each site's checks run."""
    views = Views(settings.lang, settings.tz)
    queue = MessageQueue(db, views, settings.adb_chats)
    transitions = Transitions(queue, {Role.JF_ADB: settings.jf_adb_chat_id,
                                      Role.KABID: settings.kabid_chat_id})
    diagnoses = Diagnoses(db, queue, transitions, agent_for)
    workflow = Workflow(db, queue, transitions, diagnoses, limits=config.limits,
                        vendors=config.vendors, grouping=config.grouping)
    return Services(settings=settings, config=config, clock=clock, db=db, views=views,
                    queue=queue, diagnoses=diagnoses, workflow=workflow,
                    queries=Queries(db, views, settings.tz), records=Records(db, queue),
                    documents=Documents(db, config, settings.lang, settings.tz))


