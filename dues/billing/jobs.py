"""Background job kinds of billing: the invoice checks, with progress on the Jobs page."""

from datetime import date, datetime

from common.jobs import register_job
from dues.billing import permissions


def summary(run) -> dict:
    """The one JSON line the checks print: checked, clean, flagged per kind, seconds."""
    return {
        "checked": run.checked,
        "clean": run.clean,
        "flagged": run.by_kind,
        "flagged_total": run.flagged,
        "skipped": run.skipped,
        "seconds": run.seconds,
        "run": run.pk,
    }


@register_job(
    "dues.billing_checks",
    label="Check invoices against the billing policy",
    permission=permissions.RUN_CHECKS,
)
def billing_checks_job(params: dict, progress) -> dict:
    from django.contrib.auth import get_user_model

    from dues.billing.services import billing_checks_run

    since = params.get("since")
    changed = params.get("changed_since")
    synced = params.get("synced_through")
    user = params.get("user")
    run = billing_checks_run(
        trigger=params.get("trigger", "command"),
        since=date.fromisoformat(since) if since else None,
        changed_since=datetime.fromisoformat(changed) if changed else None,
        synced_through=datetime.fromisoformat(synced) if synced else None,
        user=get_user_model().objects.filter(pk=user).first() if user else None,
        progress=progress,
    )
    return summary(run)
