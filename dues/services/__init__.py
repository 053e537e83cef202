"""Writes of cash application, one module per step: propose, decide, apply into the hold, undo,
post, refund.

Every application runs through a payment-application review item (kind ``dues.payment_application``)
so that policy, four-eyes and the audit apply to it; the item's effect calls payment_apply.

- ``filing``: what matching found is kept and proposed (``payment_candidates_file``).
- ``decisions``: one click on the payment page, not ours, proposals that came back.
- ``application``: applied into the hold (``payment_apply``), and undone while it lasts.
- ``posting``: the hold is over; the payment goes to iMIS through the outbox.
- ``refunds``: money returned to the payer.
- ``labels`` (what a decision did with the candidates) and ``shared`` (lock, status, audit) serve
  them all.
"""

from dues.services.application import Application, payment_apply, payment_undo, payments_apply_many
from dues.services.decisions import payment_decide, payment_flag_not_ours, payments_review_sync
from dues.services.filing import (
    Filing,
    payment_candidates_file,
    payments_candidates_file_many,
)
from dues.services.posting import payments_post_due
from dues.services.refunds import payment_refund

__all__ = [
    "Application",
    "Filing",
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
