"""Runs the matcher over payments waiting for it and files what it finds (the match job).

The matcher itself (``matcher``, pure functions) and its index of open invoices and members
(``candidates``) know nothing of payments' storage; this module feeds them and keeps results.
"""

import time
from decimal import Decimal

from django.db.models import Q

from common.gc_pause import kept_out_of_collection
from dues import services
from dues.kinds import KIND
from dues.matching import candidates as candidate_index
from dues.matching import matcher
from dues.matching.records import Remittance
from dues.models import Payment
from dues.services.policy import matching_policy
from reviews.models import ReviewPolicy
from reviews.services import policy_for

S = Payment.Status
BATCH = 200  # payments filed in one transaction


def remittance_for(payment: Payment) -> Remittance:
    return Remittance(
        amount=payment.available,
        payer_name=payment.payer_name,
        email=payment.payer_email,
        memo=payment.memo,
        reference=payment.reference,
        received_on=payment.received_on,
        method=payment.method,
        payer_postal_code=payment.payer_postal_code,
    )


def auto_threshold() -> tuple[bool, Decimal | None]:
    """Whether an Auto policy is on for payment applications, and its confidence threshold."""
    policy = policy_for(KIND)
    if policy is None or policy.mode != ReviewPolicy.Mode.AUTO:
        return False, None
    threshold = policy.min_confidence
    return True, threshold if threshold is not None else Decimal(
        str(matcher.DEFAULT_AUTO_THRESHOLD)
    )


def not_auto_reason(candidates: list, remittance, threshold) -> str:
    if not candidates:
        return "No candidate."
    if len(candidates) > 1:
        return "Not for Auto: more than one candidate fits."
    top = candidates[0]
    applied = sum((amount for _, amount in top.allocations), Decimal(0))
    if top.credit or not matcher.pays_as_billed(top) or applied != remittance.amount:
        return "Not for Auto: the amount does not equal the open balance exactly."
    if threshold is not None and Decimal(str(top.confidence)) < threshold:
        return f"Not for Auto: confidence is below the policy's {int(threshold * 100)} %."
    return "Not for Auto."


def payments_match(*, progress=None, payment_ids=None, rematch: bool = False) -> dict:
    """Match every received payment (and, with rematch, every open one) and file what was
    found, ``BATCH`` payments to a transaction (``payments_candidates_file_many``)."""
    started = time.monotonic()
    statuses = [S.RECEIVED] + ([S.UNMATCHED, S.PROPOSED] if rematch else [])
    queryset = Payment.objects.filter(status__in=statuses)
    if payment_ids:
        queryset = queryset.filter(Q(pk__in=payment_ids))
    ids = list(queryset.order_by("id").values_list("pk", flat=True))
    counts = {
        "payments": len(ids),
        "proposed": 0,
        "unmatched": 0,
        "auto_applied": 0,
        "skipped": 0,
    }
    if not ids:
        return {**counts, "seconds": round(time.monotonic() - started, 2)}
    if progress:
        progress.stage("Loading open invoices and members")
    # With the payments applied before (who pays for whom) and the manager's matching rules.
    index = candidate_index.match_index(tie_rule=matching_policy().tie_rule)
    auto_on, threshold = auto_threshold()
    if progress:
        progress.stage("Matching payments", total=len(ids))
    with kept_out_of_collection():  # the index, while the payments are matched against it
        for offset in range(0, len(ids), BATCH):
            batch = ids[offset : offset + BATCH]
            filings = []
            for payment in Payment.objects.filter(pk__in=batch, status__in=statuses).order_by("id"):
                remittance = remittance_for(payment)
                found = list(matcher.match(remittance, index))
                eligible = bool(
                    auto_on
                    and found
                    and matcher.auto_applicable(found, remittance, float(threshold))
                )
                reason = (
                    "" if eligible or not auto_on else not_auto_reason(found, remittance, threshold)
                )
                filings.append(services.Filing(payment.pk, found, eligible, reason))
            filed = services.payments_candidates_file_many(
                filings=filings, statuses=tuple(statuses)
            )
            counts["skipped"] += len(batch) - len(filed)  # matched or decided meanwhile
            for payment in filed.values():
                if payment.status == S.HELD:
                    counts["auto_applied"] += 1
                elif payment.status == S.UNMATCHED:
                    counts["unmatched"] += 1
                else:
                    counts["proposed"] += 1
            if progress:
                progress.advance(len(batch), message=f"payment #{batch[-1]}")
    return {**counts, "seconds": round(time.monotonic() - started, 2)}
