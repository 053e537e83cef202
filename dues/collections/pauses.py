"""Why an invoice's dunning is paused now: a registry of providers, each
``fn(invoice_ids) -> {invoice_id: detail}`` under a reason, and the pause rows kept in step with
them (a pause begins and ends on its own, each change audited).

Other apps register their reason at startup, e.g. the inquiries engineer:
``pause_providers.register(PauseReason.INQUIRY, open_inquiries)``.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.audit import audit_event, audit_record_many
from common.registry import Registry
from dues.models import CreditMemo, DunningPause, Finding, PauseReason
from imis_client.models import ImisInvoice

PauseProvider = Callable[[list[str]], dict[str, str]]

pause_providers: Registry[PauseProvider] = Registry("dunning pause provider")


def _pending_payment(invoice_ids: list[str]) -> dict[str, str]:
    from dues.selectors.pending import pending_payments

    found = pending_payments(invoice_ids)
    return {invoice_id: entries[0]["text"] for invoice_id, entries in found.items() if entries}


def _billing_finding(invoice_ids: list[str]) -> dict[str, str]:
    rows = Finding.objects.filter(invoice_id__in=invoice_ids, status__in=Finding.ACTIVE)
    return {
        invoice_id: f"billing finding: {kind}"
        for invoice_id, kind in rows.values_list("invoice_id", "kind")
    }


def _credit_memo(invoice_ids: list[str]) -> dict[str, str]:
    rows = CreditMemo.objects.filter(
        invoice_id__in=invoice_ids,
        status__in=[CreditMemo.Status.PROPOSED, CreditMemo.Status.APPROVED],
    )
    return {
        invoice_id: f"credit memo {pk} in progress"
        for invoice_id, pk in rows.values_list("invoice_id", "pk")
    }


def _plan(invoice_ids: list[str]) -> dict[str, str]:
    from dues.collections.plan_progress import plans_in_good_standing

    return plans_in_good_standing(invoice_ids)


def _autopay(invoice_ids: list[str]) -> dict[str, str]:
    """An auto-pay invoice is charged on its due date: no reminder before the charge has had its
    days to settle. A declined charge is chased as a card failure, and after the grace the
    cadence resumes (the charge did not settle it)."""
    from datetime import timedelta

    grace = timedelta(days=settings.COLLECTIONS_AUTOPAY_GRACE_DAYS)
    today = timezone.localdate()
    rows = ImisInvoice.objects.filter(
        imis_id__in=invoice_ids, deleted_at__isnull=True, is_open=True
    ).exclude(autopay_instruction_id="")
    return {
        invoice_id: (
            f"auto-pay charges the card on file on {due:%-d %B %Y}"
            if due
            else "auto-pay charges the card on file"
        )
        for invoice_id, due in rows.values_list("imis_id", "due_date")
        if due is None or today <= due + grace
    }


pause_providers.register(PauseReason.PENDING_PAYMENT, _pending_payment)
pause_providers.register(PauseReason.BILLING_FINDING, _billing_finding)
pause_providers.register(PauseReason.CREDIT_MEMO, _credit_memo)
pause_providers.register(PauseReason.PLAN, _plan)
pause_providers.register(PauseReason.AUTOPAY, _autopay)


def pauses_now(invoice_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """{invoice_id: [(reason, detail), ...]} of every registered provider, asked now."""
    ids = list(invoice_ids)
    found: dict[str, list[tuple[str, str]]] = {}
    if not ids:
        return found
    for reason, provider in pause_providers._entries.items():
        for invoice_id, detail in provider(ids).items():
            found.setdefault(invoice_id, []).append((str(reason), str(detail)[:300]))
    return found


@transaction.atomic
def pauses_sync(
    *, current: dict[str, list[tuple[str, str]]], scope: Iterable[str] | None = None
) -> dict:
    """Begin the pauses in ``current`` that are not open and end open ones (within ``scope``, the
    invoices asked about; None: every invoice) that are no longer there. Audited each."""
    now = timezone.now()
    open_rows = DunningPause.objects.select_for_update().filter(ended_at__isnull=True)
    if scope is not None:
        open_rows = open_rows.filter(invoice_id__in=list(scope))
    existing = {(p.invoice_id, p.reason): p for p in open_rows}
    wanted = {(i, r): d for i, reasons in current.items() for r, d in reasons}
    began = [
        DunningPause(invoice_id=i, reason=r, detail=d, started_at=now)
        for (i, r), d in wanted.items()
        if (i, r) not in existing
    ]
    ended = [p for key, p in existing.items() if key not in wanted]
    DunningPause.objects.bulk_create(began, ignore_conflicts=True)
    DunningPause.objects.filter(pk__in=[p.pk for p in ended]).update(ended_at=now)
    events = [
        audit_event(
            action="dunning.paused",
            summary=f"Dunning of invoice {p.invoice_id} paused: {p.get_reason_display()}",
            actor_name="system",
            object_type="invoice",
            object_id=p.invoice_id,
            data={"reason": p.reason, "detail": p.detail},
        )
        for p in began
    ] + [
        audit_event(
            action="dunning.resumed",
            summary=f"Dunning of invoice {p.invoice_id} resumed: "
            f"{p.get_reason_display().lower()} no longer holds",
            actor_name="system",
            object_type="invoice",
            object_id=p.invoice_id,
            data={"reason": p.reason, "detail": p.detail},
        )
        for p in ended
    ]
    audit_record_many(events)
    return {"paused": len(began), "resumed": len(ended)}


def open_pauses(invoice_ids: Iterable[str]) -> dict[str, list[DunningPause]]:
    found: dict[str, list[DunningPause]] = {}
    for pause in DunningPause.objects.filter(
        invoice_id__in=list(invoice_ids), ended_at__isnull=True
    ):
        found.setdefault(pause.invoice_id, []).append(pause)
    return found
