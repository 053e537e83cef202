"""Background job kinds of payments: matching, with progress on the Jobs page."""

from common.jobs import register_job
from dues import permissions


@register_job(
    "dues.match_payments", label="Match incoming payments", permission=permissions.MANAGE_PAYMENTS
)
def match_payments_job(params: dict, progress) -> dict:
    from dues.matching.run import payments_match

    return payments_match(
        progress=progress,
        payment_ids=params.get("payments") or None,
        rematch=bool(params.get("rematch")),
    )
