"""Invoice caps: one row per invoice holding what may be applied to it, locked in invoice-id
order (the lock order) so that two applications to one invoice take turns.

The database checks every journal line on an invoice against its cap (migration 0002).
"""

from decimal import Decimal

from django.db import connection

from common.bulk import rows_update
from dues.models import InvoiceCap


def invoice_caps_lock(caps: dict[str, Decimal]) -> dict[str, InvoiceCap]:
    """Record each invoice's cap and hold the rows' locks until the transaction ends, taken in
    invoice-id order (the lock order).

    INSERT .. ON CONFLICT waits for a concurrent creator to commit, then the rows are locked; the
    second of two racing applications therefore sees the first one's lines.
    """
    ids = sorted(caps)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dues_invoicecap (invoice_id, cap, updated_at) "
            "SELECT invoice_id, cap, now() FROM unnest(%s::text[], %s::numeric[]) "
            "AS t(invoice_id, cap) ORDER BY invoice_id ON CONFLICT (invoice_id) DO NOTHING",
            [ids, [caps[i] for i in ids]],
        )
    rows = {
        row.invoice_id: row
        for row in InvoiceCap.objects.select_for_update()
        .filter(invoice_id__in=ids)
        .order_by("invoice_id")
    }
    changed = [row for invoice_id, row in rows.items() if row.cap != caps[invoice_id]]
    for row in changed:
        row.cap = caps[row.invoice_id]
    rows_update(changed, ["cap"])
    return rows
