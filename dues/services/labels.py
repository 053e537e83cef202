"""Labels for the Matching performance page: what each decision did with the matcher's
candidates (took the top one, another, a split, credit, not ours; undone; rejected)."""

from dues.kinds import PaymentApplication
from dues.models import MatchLabel, Payment, PaymentCandidate
from reviews.models import ReviewItem


def label_record(payment: Payment, item: ReviewItem | None, outcome: str, *, actor=None) -> None:
    label_row(payment, item, outcome, actor=actor).save()


def label_row(payment: Payment, item: ReviewItem | None, outcome: str, *, actor=None):
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


def outcome_of(payment: Payment, item: ReviewItem, candidates: list[PaymentCandidate]) -> str:
    """What the decision did with the matcher's candidates (``candidates``: by rank)."""
    final = PaymentApplication.from_payload(item.payload)
    original = PaymentApplication.from_payload(item.original_payload)
    if final.action == "not_ours":
        return MatchLabel.Outcome.NOT_OURS
    if final.action == "credit" and original.action != "credit":
        return MatchLabel.Outcome.CREDIT
    top = candidates[0] if candidates and candidates[0].rank == 1 else None
    if top is not None:
        if final == PaymentApplication.for_candidate(payment, top):
            return MatchLabel.Outcome.TOP
    elif final == original:
        return MatchLabel.Outcome.TOP
    for candidate in candidates:
        if candidate.rank > 1 and final == PaymentApplication.for_candidate(payment, candidate):
            return MatchLabel.Outcome.OTHER
    return MatchLabel.Outcome.SPLIT
