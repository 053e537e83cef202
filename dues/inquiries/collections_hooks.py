"""What inquiries add to collections: an open inquiry pauses its invoice's dunning, a plan
request becomes collections' plan offer, and the member page lists the member's live plans."""

from collections import defaultdict

from common.money import format_money
from dues.collections.pauses import pause_providers
from dues.collections.plans import plan_offer_propose
from dues.inquiries import account, escalation
from dues.models import Inquiry, PauseReason, PaymentPlan
from imis_client.models import ImisInvoice


def open_inquiries(invoice_ids: list[str]) -> dict[str, str]:
    """Invoices with an open inquiry about them: named by the inquiry, or any open invoice of a
    member whose open inquiry names none (a dispute about "my dues")."""
    ids = list(invoice_ids)
    found: dict[str, str] = {}
    open_rows = Inquiry.objects.filter(status__in=Inquiry.OPEN).exclude(member_id="")
    for invoice_id, pk, category in open_rows.filter(invoice_id__in=ids).values_list(
        "invoice_id", "pk", "category"
    ):
        found.setdefault(invoice_id, f"inquiry #{pk} ({category.replace('_', ' ')}) is open")
    owners: dict[str, list[str]] = defaultdict(list)
    for invoice_id, sold_to, bill_to in ImisInvoice.objects.filter(imis_id__in=ids).values_list(
        "imis_id", "sold_to_id", "bill_to_id"
    ):
        for member in {sold_to, bill_to} - {""}:
            owners[member].append(invoice_id)
    if owners:
        unnamed = open_rows.filter(invoice_id="", member_id__in=list(owners))
        for member_id, pk, category in unnamed.values_list("member_id", "pk", "category"):
            for invoice_id in owners[member_id]:
                found.setdefault(
                    invoice_id, f"inquiry #{pk} ({category.replace('_', ' ')}) is open"
                )
    return found


def propose_plan(*, invoice_id: str, reason: str, proposed_by=None) -> str:
    item = plan_offer_propose(
        invoice_id=invoice_id, instalments=None, proposed_by=proposed_by, reason=reason
    )
    return f"Payment plan offer proposed on invoice {invoice_id} (review item #{item.pk})."


def member_plans(member_id: str) -> list[dict]:
    plans = PaymentPlan.objects.filter(party_id=member_id, status__in=PaymentPlan.LIVE)
    return [
        {
            "text": f"Plan on invoice {p.invoice_id}: {p.get_status_display().lower()}, "
            f"{format_money(p.balance)}"
        }
        for p in plans.order_by("-created_at")[:5]
    ]


pause_providers.register(PauseReason.INQUIRY, open_inquiries)
if propose_plan not in escalation.PLAN_PROPOSERS:
    escalation.PLAN_PROPOSERS.append(propose_plan)
if member_plans not in account.PLAN_READERS:
    account.PLAN_READERS.append(member_plans)
