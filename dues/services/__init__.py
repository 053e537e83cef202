"""Writes of cash application (being split by step)."""

from dues.services.application import (
    Application,
    Filing,
    candidate_payload,
    payment_apply,
    payment_candidates_file,
    payment_decide,
    payment_flag_not_ours,
    payment_refund,
    payment_undo,
    payments_apply_many,
    payments_candidates_file_many,
    payments_post_due,
    payments_review_sync,
)

__all__ = [
    "Application",
    "Filing",
    "candidate_payload",
    "payment_apply",
    "payment_candidates_file",
    "payment_decide",
    "payment_flag_not_ours",
    "payment_refund",
    "payment_undo",
    "payments_apply_many",
    "payments_candidates_file_many",
    "payments_post_due",
    "payments_review_sync",
]
