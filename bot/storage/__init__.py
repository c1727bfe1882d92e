"""The agenda in SQLite: one ``Database``, read queries in ``reads``, writes in a ``Tx``."""

from bot.storage.db import Database, Reads, Tx
from bot.storage.rows import Complaint, Dialog, Event, Incident, OutboxRow, VendorCall

__all__ = [
    "Complaint",
    "Database",
    "Dialog",
    "Event",
    "Incident",
    "OutboxRow",
    "Reads",
    "Tx",
    "VendorCall",
]
