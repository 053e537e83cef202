"""Payment intake: where a payment comes from and is stored, once, with its journal entry.

``webhooks`` reads and verifies the providers' events (``webhook_views`` are their endpoints),
``bankfiles`` reads BAI2 and CSV files, every carrier's payment becomes one ``receipts.Receipt``,
and ``store`` keeps each as a ``Payment`` (a check entered by hand too) and queues matching.
"""

from dues.intake.store import (
    check_enter,
    import_report,
    match_soon,
    payment_import_file,
    payment_record,
    webhook_event_process,
    webhook_event_receive,
    webhook_events_sweep,
)

__all__ = [
    "check_enter",
    "import_report",
    "match_soon",
    "payment_import_file",
    "payment_record",
    "webhook_event_process",
    "webhook_event_receive",
    "webhook_events_sweep",
]
