"""Reads of payments and cash application, for pages, the API, jobs and other apps.

One module per page or concern: ``queue`` (the cash-application queue), ``payment`` (one payment
and its choices), ``hold`` (the Hold page and its daily summary), ``performance`` (Matching
performance), ``pending`` (payments on their way to an invoice, for the member page and drafting),
``mirror`` (names and invoices from the iMIS mirror); ``locked`` holds the reads an application
takes under its locks (invoice caps and room).
"""

from dues.selectors.hold import hold_summary
from dues.selectors.locked import (
    invoice_cap_value,
    invoice_cap_values,
    invoice_for_cap,
    invoice_room,
    invoices_for_cap,
)
from dues.selectors.mirror import invoices_by_id, party_names
from dues.selectors.payment import (
    PaymentRecord,
    application_invoices,
    open_invoices_of,
    payment_detail,
    split_choices,
)
from dues.selectors.pending import (
    pending_for_member,
    pending_payment_notice,
    pending_payment_notices,
    pending_payments,
    pending_text,
)
from dues.selectors.performance import BANDS, band_of, matching_performance
from dues.selectors.queue import (
    TAB_STATUSES,
    TABS,
    QueueFilters,
    annotate_rows,
    failed_events,
    payment_queue,
    tab_counts,
)

__all__ = [
    "BANDS",
    "TABS",
    "TAB_STATUSES",
    "PaymentRecord",
    "QueueFilters",
    "annotate_rows",
    "application_invoices",
    "band_of",
    "failed_events",
    "hold_summary",
    "invoice_cap_value",
    "invoice_cap_values",
    "invoice_for_cap",
    "invoice_room",
    "invoices_by_id",
    "invoices_for_cap",
    "matching_performance",
    "open_invoices_of",
    "party_names",
    "payment_detail",
    "payment_queue",
    "pending_for_member",
    "pending_payment_notice",
    "pending_payment_notices",
    "pending_payments",
    "pending_text",
    "split_choices",
    "tab_counts",
]
