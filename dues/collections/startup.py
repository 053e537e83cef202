"""Registrations of dunning, imported once from DuesConfig.ready(): review kinds, menu entries,
the planner's background job, the refusal every sender honours (opt-outs), and the e-mail
footer's unsubscribe link."""

from django.apps import apps
from django.db.models.signals import post_migrate

from common.jobs import register_job
from common.links import EmailLink, member_email_links
from common.navigation import MemberPanel, NavItem, register_member_panel, register_nav
from dues.collections import consent
from dues.collections import dunning_permissions as perms
from dues.collections.cadence import cadence_defaults_ensure
from dues.collections.dunning_selectors import invoice_status
from dues.collections.kinds import DUNNING_STEP, PAYMENT_FAILURE, PLAN_OFFER
from dues.collections.member_views import unsubscribe_link
from dues.collections.status import invoice_status_providers
from reviews.communications import send_refusals
from reviews.kinds import register_kind

post_migrate.connect(
    cadence_defaults_ensure,
    sender=apps.get_app_config("dues"),
    dispatch_uid="dues.dunning_cadence_defaults",
)
register_kind(DUNNING_STEP)
register_kind(PLAN_OFFER)
register_kind(PAYMENT_FAILURE)
send_refusals.register("dues.opt_outs", consent.send_refusal)
member_email_links.register("unsubscribe", EmailLink(label="Unsubscribe", build=unsubscribe_link))

invoice_status_providers.register("dunning", invoice_status)
register_member_panel(
    MemberPanel(
        "dues.consent",
        "dues/collections/partials/_member_consent.html",
        lambda request, member_id: {
            "member_id": member_id,
            "opt_outs": consent.opt_outs_for(member_id),
        },
        perms.MANAGE_CONSENT,
        order=120,
    )
)

register_nav(NavItem("Dunning", "dues:dunning:today", perms.VIEW_DUNNING, 40, "Collections"))
register_nav(
    NavItem("Dunning cadence", "dues:dunning:cadence", perms.VIEW_DUNNING, 41, "Collections")
)


@register_job(
    "dues.dunning_run", label="Plan and file the day's dunning", permission=perms.MANAGE_CADENCE
)
def dunning_run_job(params: dict, progress) -> dict:
    from datetime import date

    from dues.collections.planner import dunning_run

    day = params.get("date")
    return dunning_run(today=date.fromisoformat(day) if day else None, progress=progress)
