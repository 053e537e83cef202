"""Each open invoice's next dunning step and pause, as the dunning cadence reports them.

The receivables pages read them only through this registry: the dunning code registers a
provider at startup (``invoice_status_providers.register(key, provider)``); with none registered
every invoice shows "—". A provider takes a list of invoice ids and returns, for those it knows,
an ``InvoiceStatus``; later providers fill what earlier ones left empty.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from common.registry import Registry

NONE_SHOWN = "—"


@dataclass(frozen=True)
class InvoiceStatus:
    next_step: str = ""  # e.g. "Reminder (email) on 2026-12-14"
    pause: str = ""  # e.g. "Paused: payment plan in good standing"


Provider = Callable[[list[str]], dict[str, InvoiceStatus]]
invoice_status_providers: Registry[Provider] = Registry("invoice-status provider")


def invoice_statuses(invoice_ids: Iterable[str]) -> dict[str, InvoiceStatus]:
    """The next step and pause of every invoice asked for ("" where nobody knows)."""
    ids = [str(i) for i in invoice_ids]
    merged = {i: InvoiceStatus() for i in ids}
    for provider in invoice_status_providers.all():
        for invoice_id, status in provider(ids).items():
            if invoice_id not in merged:
                continue
            current = merged[invoice_id]
            merged[invoice_id] = InvoiceStatus(
                next_step=current.next_step or status.next_step,
                pause=current.pause or status.pause,
            )
    return merged
