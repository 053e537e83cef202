"""Payment intake: where a payment comes from and is stored, once, with its journal entry.

Carriers: ``webhooks`` reads and verifies the providers' events (``webhook_views`` are their
endpoints, ``events`` stores and processes them); ``bankfiles`` reads bank files (``bai2file``,
``csvfile``) that ``imports`` stores line by line; ``checks`` are entered by hand. Every carrier's
payment is read into one ``receipts.Receipt`` and kept by ``store`` as a ``Payment``, which then
queues matching.
"""

from dues.intake.checks import check_enter
from dues.intake.events import (
    webhook_event_process,
    webhook_event_receive,
    webhook_events_drain,
    webhook_events_sweep,
)
from dues.intake.imports import import_report, payment_import_file
from dues.intake.store import match_soon, payment_record

__all__ = [
    "check_enter",
    "import_report",
    "match_soon",
    "payment_import_file",
    "payment_record",
    "webhook_event_process",
    "webhook_event_receive",
    "webhook_events_drain",
    "webhook_events_sweep",
]
