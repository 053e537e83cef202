"""Applying a payment to invoices (and credit on account) into the hold, and undoing it while
the hold lasts.

Lock order, to keep concurrent applications free of deadlocks: the payment row first, then the
invoices' cap rows in invoice-id order.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.audit import audit_record_many
from common.bulk import rows_update
from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from dues import ledger
from dues.kinds import PaymentApplication, allocations_text
from dues.ledger import debit
from dues.models import Account, JournalTransaction, MatchLabel, Payment, PaymentCandidate
from dues.selectors.locked import invoice_cap_values, invoices_for_cap
from dues.services.filing import file_item, payment_evidence
from dues.services.labels import label_record, label_row, outcome_of
from dues.services.shared import (
    R,
    S,
    close_item,
    payment_audit,
    payment_event,
    payment_lock,
    payment_transition,
)
from reviews.models import ReviewItem


@dataclass(frozen=True)
class Application:
    """One payment applied to invoices (and credit on account), as ``payment_apply`` takes it."""

    payment_id: int
    member_id: str
    payer_id: str
    allocations: list[tuple[str, Decimal]]
    credit: Decimal
    item: ReviewItem | None = None
    actor: Any = None  # the user who applied it by hand, if a person did


@transaction.atomic
def payment_apply(
    *,
    payment_id: int,
    member_id: str,
    payer_id: str,
    allocations: list[tuple[str, Decimal]],
    credit: Decimal,
    item: ReviewItem | None = None,
    actor=None,
    now=None,
) -> Payment:
    """Apply a payment to invoices (and credit on account) and put it in the hold.

    Refused, with what to do instead, when the payment is not open, the amounts do not add up,
    or an invoice has less room left than asked (another payment got there first).
    """
    application = Application(payment_id, member_id, payer_id, allocations, credit, item, actor)
    (result,) = payments_apply_many(applications=[application], now=now)
    if isinstance(result, DomainError):
        raise result
    return result


@transaction.atomic
def payments_apply_many(
    *, applications: list[Application], now=None
) -> list[Payment | DomainError]:
    """``payment_apply`` for many payments at once, with the same checks, rows and refusals:
    for each, the payment on hold or the DomainError that says why not (nothing written for
    it). Locks: the payments in id order, then the invoices' cap rows in invoice-id order."""
    now = now or timezone.now()
    locked = {
        p.pk: p
        for p in Payment.objects.select_for_update()
        .filter(pk__in=[a.payment_id for a in applications])
        .order_by("id")
    }
    results: list[Payment | DomainError | None] = [None] * len(applications)
    wanted: list[tuple[int, Application, Payment, list, Decimal]] = []
    for position, application in enumerate(applications):
        payment = locked.get(application.payment_id)
        try:
            if payment is None:
                raise DomainError(
                    f"Payment #{application.payment_id} does not exist.", code="not_found"
                )
            allocations, credit_amount = _checked_amounts(payment, application)
        except DomainError as exc:
            results[position] = exc
            continue
        wanted.append((position, application, payment, allocations, credit_amount))
    invoice_ids = {inv for *_, allocations, _ in wanted for inv, _ in allocations}
    invoices = invoices_for_cap(invoice_ids)
    caps = invoice_cap_values(invoices.values())
    ledger.invoice_caps_lock(caps)
    # Read after the locks: what a racing application applied is committed by now.
    applied = ledger.invoices_applied(invoices)
    room = {inv: max(cap - applied[inv], ZERO) for inv, cap in caps.items()}
    done: list[tuple[Application, Payment, list, Decimal]] = []
    entries = []
    for position, application, payment, allocations, credit_amount in wanted:
        try:
            lines = _application_lines(
                payment, application, allocations, credit_amount, invoices, room
            )
        except DomainError as exc:
            results[position] = exc
            continue
        actor = application.actor or (application.item.decided_by if application.item else None)
        payment.applications += 1
        entry = ledger.Entry(
            payment=payment,
            kind=JournalTransaction.Kind.APPLY,
            key=f"apply:{payment.pk}:{payment.applications}",
            memo=f"Applied to {allocations_text(allocations) or 'credit on account'}",
            lines=lines,
            actor_name=actor.get_username() if actor else "policy",
        )
        entries.append(entry)
        payment_transition(payment, S.HELD)
        payment.member_id = application.member_id
        payment.payer_id = application.payer_id or application.member_id
        payment.applied_by_policy = bool(application.item and application.item.decided_by_policy)
        payment.applied_at = now
        payment.hold_until = now + timedelta(hours=settings.DUES_HOLD_HOURS)
        payment.attention = ""
        results[position] = payment
        done.append((application, payment, allocations, credit_amount))
    ledger.journal_record_many(entries)
    rows_update(
        [payment for _, payment, _, _ in done],
        [
            "status",
            "applications",
            "member_id",
            "payer_id",
            "applied_by_policy",
            "applied_at",
            "hold_until",
            "attention",
        ],
    )
    _after_applications(done)
    # Every position holds the payment or its refusal by now.
    return cast(list[Payment | DomainError], results)


def _checked_amounts(payment: Payment, application: Application):
    if payment.status not in Payment.OPEN:
        raise DomainError(
            f"Payment #{payment.pk} is {payment.get_status_display().lower()}; it cannot be "
            "applied again.",
            code="not_open",
        )
    allocations = sorted((str(inv), to_money(amount)) for inv, amount in application.allocations)
    credit_amount = to_money(application.credit)
    total = sum((amount for _, amount in allocations), ZERO) + credit_amount
    if total != payment.available or credit_amount < 0 or any(a <= 0 for _, a in allocations):
        raise DomainError(
            f"The amounts add up to {format_money(total)} but payment #{payment.pk} has "
            f"{format_money(payment.available)} to apply.",
            code="amounts",
        )
    return allocations, credit_amount


def _application_lines(payment, application, allocations, credit_amount, invoices, room):
    """The journal lines of one application, taking what it uses from ``room`` (invoice id ->
    what is left to apply); refused, leaving ``room`` as it was, when an invoice lacks it."""
    member, payer = application.member_id, application.payer_id or application.member_id
    lines, taken = [], []
    for invoice_id, amount in allocations:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            error = DomainError(f"Invoice {invoice_id} is not in the iMIS mirror.", code="invoice")
        elif amount > room[invoice_id]:
            error = DomainError(
                f"Invoice {invoice.number} has {format_money(room[invoice_id])} left to apply; "
                f"payment #{payment.pk} cannot put {format_money(amount)} on it. Another "
                "payment was applied to it first: choose another invoice or keep the money as "
                "credit.",
                code="conflict",
            )
        else:
            room[invoice_id] -= amount
            taken.append((invoice_id, amount))
            lines += [
                debit(Account.UNAPPLIED, amount, member_id=member),
                ledger.credit(Account.HOLD, amount, invoice_id=invoice_id, member_id=member),
            ]
            continue
        for took, amount_taken in taken:
            room[took] += amount_taken
        raise error
    if credit_amount:
        lines += [
            debit(Account.UNAPPLIED, credit_amount, member_id=payer),
            ledger.credit(Account.HOLD, credit_amount, member_id=payer),
        ]
    return lines


def _after_applications(done) -> None:
    """Labels and audit events of applications just made, inserted together."""
    with_items = [payment.pk for application, payment, _, _ in done if application.item]
    candidates: dict[int, list[PaymentCandidate]] = {}
    for candidate in PaymentCandidate.objects.filter(payment_id__in=with_items).order_by(
        "payment_id", "rank"
    ):
        candidates.setdefault(candidate.payment_id, []).append(candidate)
    labels, events = [], []
    for application, payment, allocations, credit_amount in done:
        item = application.item
        actor = application.actor or (item.decided_by if item else None)
        if item is not None:
            outcome = outcome_of(payment, item, candidates.get(payment.pk, []))
            labels.append(label_row(payment, item, outcome, actor=actor))
        summary = (
            f"{format_money(payment.available)} applied to {allocations_text(allocations) or '—'}"
            f"{f', {format_money(credit_amount)} as credit' if credit_amount else ''}; on hold "
            f"until {timezone.localtime(payment.hold_until):%Y-%m-%d %H:%M}"
            f"{' (Auto policy)' if payment.applied_by_policy else ''}"
        )
        event = payment_event(
            payment,
            "payment_applied",
            summary,
            actor=actor,
            invoices=allocations_text(allocations),
            credit=credit_amount,
            review_item=item.pk if item else None,
        )
        events.append(event)
    MatchLabel.objects.bulk_create(labels)
    audit_record_many(events)


def reverse_application(payment: Payment, *, actor_name: str, why: str) -> None:
    applied = (
        JournalTransaction.objects.filter(payment=payment, kind=JournalTransaction.Kind.APPLY)
        .exclude(reversals__isnull=False)
        .order_by("-id")
        .first()
    )
    if applied is None:
        raise DomainError(f"Payment #{payment.pk} has no application to undo.")
    ledger.journal_reverse(
        original=applied,
        kind=JournalTransaction.Kind.UNDO,
        key=f"undo:{applied.pk}",
        memo=why,
        actor_name=actor_name,
    )
    close_item(payment.review_item, R.REVERSED, why)


@transaction.atomic
def payment_undo(*, payment_id: int, user, now=None) -> Payment:
    """Undo an application inside its hold: a reversal entry, and the payment back in review."""
    now = now or timezone.now()
    payment = payment_lock(payment_id)
    if payment.status != S.HELD:
        raise DomainError(
            f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a payment on "
            "hold can be undone.",
            code="not_held",
        )
    if payment.hold_until and now >= payment.hold_until:
        raise DomainError(
            f"The hold on payment #{payment.pk} ended at "
            f"{timezone.localtime(payment.hold_until):%Y-%m-%d %H:%M}; it is being posted to iMIS "
            "and can no longer be undone here.",
            code="hold_over",
        )
    undone_item = payment.review_item
    undone = PaymentApplication.from_payload(undone_item.payload) if undone_item else None
    reverse_application(payment, actor_name=user.get_username(), why=f"undone by {user}")
    label_record(payment, undone_item, MatchLabel.Outcome.UNDONE, actor=user)
    applied_to = payment.member_id
    payment_transition(payment, S.PROPOSED)
    payment.member_id = payment.payer_id = ""
    payment.applied_by_policy, payment.applied_at, payment.hold_until = False, None, None
    if undone is not None:
        file_item(
            payment,
            undone,
            confidence=None,
            job="dues.undo",
            summary=f"{user.get_username()} undid the application; decide again.",
            rationale="A person undid the earlier application, so no policy re-applies it.",
            evidence=payment_evidence(payment, list(payment.candidates.all())),
        )
    payment.save()
    payment_audit(
        payment,
        "payment_undone",
        f"application to member {applied_to} undone; back in review",
        actor=user,
    )
    return payment
