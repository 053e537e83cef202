"""What the iMIS connection adds to the page shell: menu entries, home cards, status rows."""

from django.urls import reverse

from common.navigation import (
    AttentionCard,
    NavItem,
    register_attention,
    register_nav,
    register_page,
    register_status,
)
from imis_client import permissions, selectors
from imis_client.models import SyncQuarantine

register_nav(NavItem("Members", "imis_client:member_list", permissions.VIEW_MEMBERS, order=10))
register_page("member", "imis_client:member_detail")
register_nav(
    NavItem("Sync", "imis_client:sync_status", permissions.VIEW_SYNC, order=910, section="System")
)
register_nav(
    NavItem("Outbox", "imis_client:outbox", permissions.MANAGE_OUTBOX, order=920, section="System")
)


def _problems(user) -> list[AttentionCard]:
    open_problems = SyncQuarantine.objects.filter(resolved_at__isnull=True).count()
    stuck = selectors.outbox_stuck_count() if user.has_perm(permissions.MANAGE_OUTBOX) else 0
    cards = []
    if open_problems:
        cards.append(
            AttentionCard(
                "iMIS records that did not sync",
                open_problems,
                reverse("imis_client:sync_problems"),
                "Each one names the field to fix in iMIS.",
                "warn",
            )
        )
    if stuck:
        cards.append(
            AttentionCard(
                "Writes to iMIS stuck",
                stuck,
                reverse("imis_client:outbox"),
                "Retry or cancel them.",
                "danger",
            )
        )
    return cards


def _status() -> list[dict]:
    run = selectors.last_sync_run()
    if run is None:
        return [{"label": "Last sync from iMIS", "value": "Never", "tone": "warn"}]
    tone = {"succeeded": "ok", "running": "", "partial": "warn", "failed": "danger"}[run.status]
    return [
        {
            "label": "Last sync from iMIS",
            "value": run.get_status_display(),
            "tone": tone,
            "detail": f"{selectors.sync_age_text()}, {run.total('fetched'):,} records read",
        }
    ]


register_attention(_problems, permission=permissions.VIEW_SYNC)
register_status(_status)
