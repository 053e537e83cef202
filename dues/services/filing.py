"""Filing what matching found: the candidates kept, and the payment's review item proposed (an
Auto policy may approve it, and then it is applied in the same transaction)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record_many
from common.bulk import rows_update
from common.money import format_money, to_money
from dues.kinds import KIND, PaymentApplication
from dues.models import Payment, PaymentCandidate
from dues.services.shared import R, S, close_item, payment_event, payment_transition
from reviews import services as reviews
from reviews.models import ReviewItem


def payment_proposers(payments: list[Payment]) -> dict[int, object]:
    """Who put each payment in (entered it by hand, or uploaded its bank file), by payment id.

    That person is its proposals' proposer, so the four-eyes rule stops them approving where
    the money goes; payments from webhooks have none. Two queries, however many payments.
    """
    from django.contrib.auth import get_user_model

    from dues.models import PaymentImport

    uploads = dict(
        PaymentImport.objects.filter(
            pk__in={p.import_file_id for p in payments if p.import_file_id}
        ).values_list("pk", "uploaded_by_id")
    )
    ids = {p.pk: p.entered_by_id or uploads.get(p.import_file_id or 0) for p in payments}
    users = get_user_model().objects.in_bulk({i for i in ids.values() if i})
    return {pk: users.get(user_id) for pk, user_id in ids.items() if user_id}


def file_item(
    payment: Payment, application: PaymentApplication, *, proposed_by=None, **fields
) -> ReviewItem:
    """File the payment's next review item now (``_proposal``'s fields). The proposer is the
    person given, else whoever put the payment in."""
    proposer = proposed_by or payment_proposers([payment]).get(payment.pk)
    item = reviews.review_item_propose(
        kind=KIND, **_proposal(payment, application, proposer=proposer, **fields)
    )
    payment.review_item = item
    return item


def _proposal(
    payment: Payment,
    application: PaymentApplication,
    *,
    confidence: Decimal | None,
    summary: str,
    rationale: str = "",
    evidence: list | None = None,
    job: str,
    proposer=None,
) -> dict:
    """The payment's next review item, as reviews' propose services take it."""
    payment.review_round += 1
    return {
        "title": f"{format_money(payment.amount, payment.currency)} from "
        f"{payment.payer_name or 'an unknown payer'} ({payment.get_source_display()})",
        "payload": application.to_payload(),
        "member_id": application.member_id,
        "invoice_id": application.allocations[0].invoice_id if application.allocations else "",
        "object_ref": f"payment {payment.pk}",
        "summary": summary,
        "rationale": rationale,
        "evidence": evidence or [],
        "confidence": confidence,
        "amount": payment.available,
        "proposed_by": proposer,
        "proposed_by_job": job,
        "dedupe_key": f"{KIND}:{payment.pk}:{payment.review_round}",
    }


def payment_evidence(payment: Payment, stored: list[PaymentCandidate]) -> list[dict]:
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
            close_item(previous, R.STALE, "matched again; a new proposal replaces it")
    PaymentCandidate.objects.filter(payment__in=[payment for payment, _ in todo]).delete()
    stored = {payment.pk: _candidate_rows(payment, f.candidates) for payment, f in todo}
    PaymentCandidate.objects.bulk_create([c for rows in stored.values() for c in rows])
    now = timezone.now()
    proposals = []
    proposers = payment_proposers([payment for payment, _ in todo])
    for payment, filing in todo:
        rows = stored[payment.pk]
        payment.candidate_count = len(rows)
        payment.top_confidence = rows[0].confidence if rows else None
        payment.matched_at = now
        payment.attention = ""
        if rows:
            payment_transition(payment, S.PROPOSED)
            proposal = _proposal(
                payment,
                PaymentApplication.for_candidate(payment, filing.candidates[0]),
                confidence=rows[0].confidence if filing.auto_eligible else None,
                summary=rows[0].explanation,
                rationale=filing.not_auto_reason,
                evidence=payment_evidence(payment, rows),
                job=job,
                proposer=proposers.get(payment.pk),
            )
        else:
            payment_transition(payment, S.UNMATCHED)
            proposal = _proposal(
                payment,
                PaymentApplication.not_ours(payment.pk),
                confidence=None,
                summary="No member or open invoice fits this payment. Apply it by hand, keep "
                "it as credit, or confirm it is not ours.",
                evidence=payment_evidence(payment, rows),
                job=job,
                proposer=proposers.get(payment.pk),
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
        event = payment_event(
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
