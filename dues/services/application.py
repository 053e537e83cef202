"""Writes of cash application: propose, decide, apply into the hold, undo, post, refund.

Every application runs through a payment-application review item (kind ``dues.payment_application``)
so that policy, four-eyes and the audit apply to it; the item's effect calls payment_apply.
Lock order, to keep concurrent applications free of deadlocks: the payment row first, then the
invoices' cap rows in invoice-id order.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.audit import audit_event, audit_record_many
from common.bulk import rows_update
from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from common.states import transition
from dues import ledger, selectors
from dues.kinds import KIND, allocations_text
from dues.ledger import credit, debit
from dues.models import Account, JournalTransaction, MatchLabel, Payment, PaymentCandidate
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews import services as reviews
from reviews.models import ReviewItem

S = Payment.Status
R = ReviewItem.Status


def _audit_event(payment: Payment, action: str, summary: str, *, actor=None, **data):
    return audit_event(
        action=f"dues.{action}",
        summary=f"Payment #{payment.pk}: {summary}",
        actor=actor,
        actor_name=None if actor else "system",
        object_type="payment",
        object_id=payment.pk,
        member_id=payment.member_id,
        data=data,
    )


def _audit(payment: Payment, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record_many([_audit_event(payment, action, summary, actor=actor, **data)])


def _transition(payment: Payment, to: str) -> None:
    transition(payment, to, subject=f"Payment #{payment.pk}")


def _lock(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update().get(pk=payment_id)
    except Payment.DoesNotExist:
        raise DomainError(f"Payment #{payment_id} does not exist.", code="not_found") from None


def _close_item(item: ReviewItem | None, to: str, reason: str, actor=None) -> None:
    """End a payment's review item from this side (an undo, a refund, a re-match)."""
    if item is not None:
        reviews.review_item_close(item_id=item.pk, to=to, reason=reason, actor=actor)


# --- proposals ----------------------------------------------------------------------------


def candidate_payload(payment: Payment, candidate) -> dict:
    """The review payload that applies a payment as a candidate says.

    Allocations larger than the payment are cut, in the candidate's order, to what it brings.
    """
    allocations, left = [], payment.available
    for invoice_id, amount in candidate.allocations:
        take = min(to_money(amount), left)
        if take > 0:
            allocations.append((str(invoice_id), take))
            left -= take
    credit_amount = left
    return {
        "payment": str(payment.pk),
        "action": "apply" if allocations else "credit",
        "member": str(candidate.member_id),
        "payer": str(candidate.payer_id or candidate.member_id),
        "invoices": allocations_text(allocations),
        "credit": str(to_money(credit_amount)),
    }


def _not_ours_payload(payment: Payment) -> dict:
    return {
        "payment": str(payment.pk),
        "action": "not_ours",
        "member": "",
        "payer": "",
        "invoices": "",
        "credit": "0.00",
    }


def _file_item(payment: Payment, payload: dict, **fields) -> ReviewItem:
    """File the payment's next review item now (``_proposal``'s fields)."""
    item = reviews.review_item_propose(kind=KIND, **_proposal(payment, payload, **fields))
    payment.review_item = item
    return item


def _proposal(
    payment: Payment,
    payload: dict,
    *,
    confidence: Decimal | None,
    summary: str,
    rationale: str = "",
    evidence: list | None = None,
    job: str,
) -> dict:
    """The payment's next review item, as reviews' propose services take it."""
    payment.review_round += 1
    first_invoice = payload["invoices"].split("=")[0] if payload["invoices"] else ""
    return {
        "title": f"{format_money(payment.amount, payment.currency)} from "
        f"{payment.payer_name or 'an unknown payer'} ({payment.get_source_display()})",
        "payload": payload,
        "member_id": payload["member"],
        "invoice_id": first_invoice,
        "object_ref": f"payment {payment.pk}",
        "summary": summary,
        "rationale": rationale,
        "evidence": evidence or [],
        "confidence": confidence,
        "amount": payment.available,
        "proposed_by_job": job,
        "dedupe_key": f"{KIND}:{payment.pk}:{payment.review_round}",
    }


def _evidence(payment: Payment, stored: list[PaymentCandidate]) -> list[dict]:
    facts = [
        {
            "fact": f"#{c.rank} member {c.member_id}: {c.explanation}",
            "source": f"matching, confidence {int(c.confidence * 100)} %",
        }
        for c in stored[:3]
    ]
    for label, value in (
        ("Payer", payment.payer_name),
        ("Email", payment.payer_email),
        ("Memo", payment.memo),
        ("Reference", payment.reference),
    ):
        if value:
            facts.append(
                {"fact": f"{label}: {value[:300]}", "source": payment.get_source_display()}
            )
    return facts


@dataclass(frozen=True)
class Filing:
    """What matching found for one payment, as ``payment_candidates_file`` takes it."""

    payment_id: int
    candidates: list
    auto_eligible: bool
    not_auto_reason: str = ""


@transaction.atomic
def payment_candidates_file(
    *,
    payment_id: int,
    candidates: list,
    auto_eligible: bool,
    not_auto_reason: str = "",
    job: str = "dues.match_payments",
    statuses: tuple = (S.RECEIVED,),
) -> Payment:
    """Keep matching's candidates and file the proposal; an Auto policy may apply it at once.

    ``auto_eligible`` says the payment meets the rules for applying without a person (a single
    candidate, amounts that agree exactly, confidence above the policy's threshold). When it
    does not, the item is filed without a confidence, because reviews' Auto policy decides on
    confidence alone and must not take it.
    """
    filing = Filing(payment_id, candidates, auto_eligible, not_auto_reason)
    filed = payments_candidates_file_many(filings=[filing], job=job, statuses=statuses)
    return filed.get(payment_id) or Payment.objects.get(pk=payment_id)


@transaction.atomic
def payments_candidates_file_many(
    *, filings: list[Filing], job: str = "dues.match_payments", statuses: tuple = (S.RECEIVED,)
) -> dict[int, Payment]:
    """``payment_candidates_file`` for many payments in one transaction, with the same rows for
    each (candidates, review item, audit events, and what an Auto policy applies: journal,
    label), inserted together. A payment no longer in ``statuses`` when its row is locked was
    matched or decided meanwhile, and is left as it is (absent from the result: payment id ->
    the payment as filed)."""
    locked = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("review_item")
        .filter(pk__in=[f.payment_id for f in filings])
        .order_by("id")
    )
    payments = {payment.pk: payment for payment in locked}
    todo = [
        (payments[f.payment_id], f)
        for f in filings
        if f.payment_id in payments and payments[f.payment_id].status in statuses
    ]
    if not todo:
        return {}
    for payment, _ in todo:
        previous = payment.review_item
        if previous is not None and previous.status == R.PENDING:
            _close_item(previous, R.STALE, "matched again; a new proposal replaces it")
    PaymentCandidate.objects.filter(payment__in=[payment for payment, _ in todo]).delete()
    stored = {payment.pk: _candidate_rows(payment, f.candidates) for payment, f in todo}
    PaymentCandidate.objects.bulk_create([c for rows in stored.values() for c in rows])
    now = timezone.now()
    proposals = []
    for payment, filing in todo:
        rows = stored[payment.pk]
        payment.candidate_count = len(rows)
        payment.top_confidence = rows[0].confidence if rows else None
        payment.matched_at = now
        payment.attention = ""
        if rows:
            _transition(payment, S.PROPOSED)
            proposal = _proposal(
                payment,
                candidate_payload(payment, filing.candidates[0]),
                confidence=rows[0].confidence if filing.auto_eligible else None,
                summary=rows[0].explanation,
                rationale=filing.not_auto_reason,
                evidence=_evidence(payment, rows),
                job=job,
            )
        else:
            _transition(payment, S.UNMATCHED)
            proposal = _proposal(
                payment,
                _not_ours_payload(payment),
                confidence=None,
                summary="No member or open invoice fits this payment. Apply it by hand, keep "
                "it as credit, or confirm it is not ours.",
                evidence=_evidence(payment, rows),
                job=job,
            )
        proposals.append(proposal)
    # Whatever an Auto policy approves is carried out below, in this transaction.
    items = reviews.review_items_propose_many(kind=KIND, proposals=proposals, enqueue=False)
    for (payment, _), item in zip(todo, items, strict=True):
        payment.review_item = item
    rows_update(
        [payment for payment, _ in todo],
        [
            "status",
            "candidate_count",
            "top_confidence",
            "matched_at",
            "attention",
            "review_round",
            "review_item",
        ],
    )
    events = []
    for (payment, _), item in zip(todo, items, strict=True):
        summary = f"{payment.candidate_count} candidate(s); proposal #{item.pk}"
        event = _audit_event(
            payment,
            "payment_matched",
            summary,
            candidates=payment.candidate_count,
            top_confidence=payment.top_confidence,
        )
        events.append(event)
    audit_record_many(events)
    approved = [item.pk for item in items if item.status == R.APPROVED]
    if approved:
        reviews.review_items_execute_many(item_ids=approved)
    return Payment.objects.in_bulk([payment.pk for payment, _ in todo])


def _candidate_rows(payment: Payment, candidates: list) -> list[PaymentCandidate]:
    rows = []
    for rank, candidate in enumerate(candidates, 1):
        allocations = [(str(inv), str(to_money(amt))) for inv, amt in candidate.allocations]
        rows.append(
            PaymentCandidate(
                payment=payment,
                rank=rank,
                member_id=str(candidate.member_id),
                payer_id=str(candidate.payer_id or ""),
                allocations=allocations,
                invoice_ids=[inv for inv, _ in allocations],
                credit=to_money(candidate.credit or 0),
                shortfall=to_money(candidate.shortfall or 0),
                confidence=Decimal(str(round(float(candidate.confidence), 3))),
                explanation=str(candidate.explanation)[:500],
                signals=dict(candidate.signals or {}),
            )
        )
    return rows


# --- one-click decisions ------------------------------------------------------------------


@transaction.atomic
def payment_decide(
    *,
    payment_id: int,
    user,
    action: str,
    candidate_rank: int | None = None,
    member_id: str = "",
    payer_id: str = "",
    allocations: list[tuple[str, Decimal]] | None = None,
) -> Payment:
    """One click on the payment page: apply to a candidate, split, keep as credit, not ours.

    The choice decides the payment's review item (accepting it, or editing it to the choice),
    then carries it out at once, so the person sees the payment on hold (or the conflict).
    """
    payment = _lock(payment_id)
    if payment.status not in Payment.OPEN:
        raise DomainError(
            f"Payment #{payment.pk} is {payment.get_status_display().lower()}; there is nothing "
            "to decide.",
            code="not_open",
        )
    if action == "candidate":
        candidate = payment.candidates.filter(rank=candidate_rank).first()
        if candidate is None:
            raise DomainError(f"Payment #{payment.pk} has no candidate #{candidate_rank}.")
        payload = candidate_payload(payment, selectors.candidate_view(candidate))
    elif action == "split":
        payload = {
            "payment": str(payment.pk),
            "action": "apply",
            "member": member_id,
            "payer": payer_id or member_id,
            "invoices": allocations_text(allocations or []),
            "credit": str(payment.available - sum((a for _, a in allocations or []), ZERO)),
        }
    elif action == "credit":
        payload = {
            "payment": str(payment.pk),
            "action": "credit",
            "member": member_id,
            "payer": payer_id or member_id,
            "invoices": "",
            "credit": str(payment.available),
        }
    elif action == "not_ours":
        payload = _not_ours_payload(payment)
    else:
        raise DomainError(f"Unknown action {action!r}: candidate, split, credit or not_ours.")
    item = payment.review_item
    if item is None or item.status != R.PENDING:
        item = _file_item(
            payment,
            payload,
            confidence=None,
            job="dues.cash_application",
            summary=f"Chosen by {user.get_username()} on the payment page.",
        )
        payment.save()
        decision = "accept"
    else:
        decision = "accept" if item.kind == KIND and payload == item.payload else "edit"
    reviews.review_item_decide(
        item_id=item.pk,
        user=user,
        decision=decision,
        payload=payload if decision == "edit" else None,
    )
    done = reviews.review_item_execute(item_id=item.pk)
    if done.status != R.DONE:
        # Roll the decision back too: the person chooses again with nothing half-done.
        reason = done.effect_error.partition(": ")[2] or done.stale_reason or done.effect_error
        raise DomainError(reason or f"Item #{item.pk} could not be carried out.", code="conflict")
    payment.refresh_from_db()
    return payment


def _label(payment: Payment, item: ReviewItem | None, outcome: str, *, actor=None) -> None:
    _label_row(payment, item, outcome, actor=actor).save()


def _label_row(payment: Payment, item: ReviewItem | None, outcome: str, *, actor=None):
    top_correct = outcome == MatchLabel.Outcome.TOP or (
        outcome == MatchLabel.Outcome.NOT_OURS and not payment.candidate_count
    )
    return MatchLabel(
        payment=payment,
        review_item_id=item.pk if item else None,
        outcome=outcome,
        top_confidence=payment.top_confidence,
        top_correct=top_correct,
        by_policy=bool(item and item.decided_by_policy),
        decided_by=actor,
    )


def _outcome(payment: Payment, item: ReviewItem, candidates: list[PaymentCandidate]) -> str:
    """What the decision did with the matcher's candidates (``candidates``: by rank)."""
    final, original = item.payload, item.original_payload
    if final["action"] == "not_ours":
        return MatchLabel.Outcome.NOT_OURS
    if final["action"] == "credit" and original.get("action") != "credit":
        return MatchLabel.Outcome.CREDIT
    top = candidates[0] if candidates and candidates[0].rank == 1 else None
    if top is not None:
        top_payload = candidate_payload(payment, selectors.candidate_view(top))
        if final == top_payload:
            return MatchLabel.Outcome.TOP
    elif final == original:
        return MatchLabel.Outcome.TOP
    for candidate in candidates:
        if candidate.rank > 1 and final == candidate_payload(
            payment, selectors.candidate_view(candidate)
        ):
            return MatchLabel.Outcome.OTHER
    return MatchLabel.Outcome.SPLIT


# --- application, hold, undo --------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """One payment applied to invoices (and credit on account), as ``payment_apply`` takes it."""

    payment_id: int
    member_id: str
    payer_id: str
    allocations: list[tuple[str, Decimal]]
    credit: Decimal
    item: ReviewItem | None = None
    actor: object = None


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
    invoices = selectors.invoices_for_cap(invoice_ids)
    caps = selectors.invoice_cap_values(invoices.values())
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
        _transition(payment, S.HELD)
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
    return results


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
            outcome = _outcome(payment, item, candidates.get(payment.pk, []))
            labels.append(_label_row(payment, item, outcome, actor=actor))
        summary = (
            f"{format_money(payment.available)} applied to {allocations_text(allocations) or '—'}"
            f"{f', {format_money(credit_amount)} as credit' if credit_amount else ''}; on hold "
            f"until {timezone.localtime(payment.hold_until):%Y-%m-%d %H:%M}"
            f"{' (Auto policy)' if payment.applied_by_policy else ''}"
        )
        event = _audit_event(
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


@transaction.atomic
def payment_flag_not_ours(
    *, payment_id: int, item: ReviewItem | None = None, actor=None
) -> Payment:
    """Mark a payment as not for us: it waits for its refund and is never applied."""
    actor = actor or (item.decided_by if item else None)
    payment = _lock(payment_id)
    _transition(payment, S.NOT_OURS)
    payment.attention = "Refund it to the payer (or record the refund here once made)."
    payment.save()
    if item is not None:
        _label(payment, item, MatchLabel.Outcome.NOT_OURS, actor=actor)
    _audit(payment, "payment_not_ours", "flagged as not ours; refund due", actor=actor)
    return payment


def _reverse_application(payment: Payment, *, actor_name: str, why: str) -> None:
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
    _close_item(payment.review_item, R.REVERSED, why)


@transaction.atomic
def payment_undo(*, payment_id: int, user, now=None) -> Payment:
    """Undo an application inside its hold: a reversal entry, and the payment back in review."""
    now = now or timezone.now()
    payment = _lock(payment_id)
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
    payload = dict(undone_item.payload) if undone_item else None
    _reverse_application(payment, actor_name=user.get_username(), why=f"undone by {user}")
    _label(payment, undone_item, MatchLabel.Outcome.UNDONE, actor=user)
    applied_to = payment.member_id
    _transition(payment, S.PROPOSED)
    payment.member_id = payment.payer_id = ""
    payment.applied_by_policy, payment.applied_at, payment.hold_until = False, None, None
    if payload:
        _file_item(
            payment,
            payload,
            confidence=None,
            job="dues.undo",
            summary=f"{user.get_username()} undid the application; decide again.",
            rationale="A person undid the earlier application, so no policy re-applies it.",
            evidence=_evidence(payment, list(payment.candidates.all())),
        )
    payment.save()
    _audit(
        payment,
        "payment_undone",
        f"application to member {applied_to} undone; back in review",
        actor=user,
    )
    return payment


# --- posting ------------------------------------------------------------------------------


def payments_post_due(*, now=None, limit: int = 500) -> dict:
    """Post every payment whose hold is over: one outbox write per payment, then mark posted."""
    now = now or timezone.now()
    due = list(
        Payment.objects.filter(status=S.HELD, hold_until__lte=now)
        .order_by("hold_until", "id")
        .values_list("pk", flat=True)[:limit]
    )
    posted = 0
    for payment_id in due:
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(skip_locked=True)
                .filter(pk=payment_id, status=S.HELD, hold_until__lte=now)
                .first()
            )
            if payment is None:
                continue  # undone, or taken by another run
            _post(payment)
            posted += 1
    return {"due": len(due), "posted": posted}


def _post(payment: Payment) -> None:
    allocations, on_account = ledger.payment_held_allocations(payment.pk)
    payer = payment.payer_id or payment.member_id
    lines, references = [], []
    if allocations:
        write = outbox_enqueue(
            build=writes.combo_order_payment,
            source=f"dues payment {payment.pk}",
            payer_party_id=payer,
            amount=sum((a for _, a in allocations), ZERO),
            method_id=settings.DUES_IMIS_PAYMENT_METHODS.get(payment.method, "CASH"),
            invoices=allocations,
            message=(payment.memo or payment.reference)[:255],
        )
        references.append(write.reference)
        for invoice_id, amount in allocations:
            lines += [
                debit(Account.HOLD, amount, invoice_id=invoice_id, member_id=payer),
                credit(Account.RECEIVABLE, amount, invoice_id=invoice_id, member_id=payer),
            ]
    if on_account:
        # ComboOrder pays invoices only; credit on account is recorded on the member in iMIS.
        note = outbox_enqueue(
            build=writes.party_note,
            source=f"dues payment {payment.pk}",
            party_id=payer,
            text=f"Credit on account {format_money(on_account)} from a "
            f"{payment.get_source_display()} payment received {payment.received_on:%Y-%m-%d}"
            f"{' (' + payment.provider_id + ')' if payment.provider_id else ''}.",
        )
        references.append(note.reference)
        lines += [
            debit(Account.HOLD, on_account, member_id=payer),
            credit(Account.UNAPPLIED, on_account, member_id=payer),
        ]
    ledger.journal_record(
        payment=payment,
        kind=JournalTransaction.Kind.POST,
        key=f"post:{payment.pk}:{payment.applications}",
        memo=f"Posted to iMIS as {', '.join(references)}",
        actor_name="system",
        lines=lines,
    )
    _transition(payment, S.POSTED)
    payment.posted_at = timezone.now()
    payment.imis_reference = ", ".join(references)[:80]
    payment.save()
    _audit(
        payment,
        "payment_posted",
        f"posted to iMIS ({payment.imis_reference})",
        references=references,
    )


# --- refunds and review outcomes ----------------------------------------------------------


@transaction.atomic
def payment_refund(*, payment_id: int, amount: Decimal, reference: str = "", user=None) -> Payment:
    """Record money returned to the payer; an application still on hold is undone first."""
    payment = _lock(payment_id)
    amount = to_money(amount)
    if amount <= 0:
        raise DomainError("The refund must be more than zero.")
    if amount > payment.available:
        raise DomainError(
            f"The refund of {format_money(amount)} is more than the "
            f"{format_money(payment.available)} left on payment #{payment.pk}."
        )
    actor_name = user.get_username() if user else payment.get_source_display()
    if payment.status == S.HELD:
        _reverse_application(payment, actor_name=actor_name, why="refunded during the hold")
        _transition(payment, S.PROPOSED)
        payment.member_id = payment.payer_id = ""
        payment.hold_until = None
    balances = ledger.payment_balances(payment.pk)
    lines = [credit(Account.CASH_CLEARING, amount)]
    from_unapplied = min(amount, -balances[Account.UNAPPLIED])
    if from_unapplied:
        lines.append(debit(Account.UNAPPLIED, from_unapplied))
    rest = amount - from_unapplied
    for invoice_id, posted in ledger.payment_posted_invoices(payment.pk):
        if rest <= 0:
            break
        take = min(rest, posted)
        lines.append(debit(Account.RECEIVABLE, take, invoice_id=invoice_id))
        rest -= take
    ledger.journal_record(
        payment=payment,
        kind=JournalTransaction.Kind.REFUND,
        key=f"refund:{payment.pk}:{payment.refunded_amount + amount}",
        memo=f"Refunded {format_money(amount)} {reference}".strip(),
        actor_name=actor_name,
        lines=lines,
    )
    payment.refunded_amount += amount
    if payment.status == S.POSTED:
        payment.attention = (
            f"Refunded {format_money(amount)} after posting to iMIS ({payment.imis_reference}): "
            "reverse that payment in iMIS by hand."
        )[:300]
    elif payment.available == 0:
        _close_item(payment.review_item, R.STALE, "the payment was refunded")
        _transition(payment, S.REFUNDED)
        payment.attention = ""
    elif payment.status in Payment.OPEN:
        _close_item(payment.review_item, R.STALE, "the payment was partly refunded")
        _transition(payment, S.UNMATCHED)
        payment.attention = f"Partly refunded ({format_money(amount)}); decide what the rest pays."
    payment.save()
    _audit(
        payment,
        "payment_refunded",
        f"{format_money(amount)} refunded {reference}".strip(),
        actor=user,
        amount=amount,
        reference=reference,
    )
    return payment


def payments_review_sync() -> int:
    """Payments whose proposal was rejected, expired or went stale wait for a person again.

    A rejection is a label: the matcher's top candidate was wrong.
    """
    moved = 0
    ids = Payment.objects.filter(
        status__in=[S.PROPOSED, S.UNMATCHED],
        review_item__status__in=[R.REJECTED, R.EXPIRED, R.STALE, R.FAILED],
        attention="",
    ).values_list("pk", flat=True)
    for payment_id in list(ids[:1000]):
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=payment_id)
                .select_related("review_item")
                .first()
            )
            if payment is None or payment.review_item is None:
                continue
            item = payment.review_item
            if item.status == R.REJECTED:
                _label(payment, item, MatchLabel.Outcome.REJECTED, actor=item.decided_by)
                why = f"proposal #{item.pk} was rejected ({item.get_reject_reason_display()})"
            elif item.status == R.FAILED:
                error = item.effect_error.partition(": ")[2] or item.effect_error
                why = f"proposal #{item.pk} could not be carried out ({error})"
            elif item.status == R.STALE:
                why = f"proposal #{item.pk} went stale ({item.stale_reason})"
            else:
                why = f"proposal #{item.pk} expired undecided"
            _transition(payment, S.UNMATCHED)
            payment.attention = f"The {why}; choose what this payment pays."[:300]
            payment.save()
            _audit(payment, "payment_unmatched", why)
            moved += 1
    return moved
