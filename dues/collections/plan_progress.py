"""Payment plans once offered: whether a plan pauses its invoice's dunning, progress read from
the mirror's balance (instalments paid in order, missed after their grace, the plan completed
when the invoice is paid), and the plan's own reminder when an instalment is missed."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from common.states import transition
from dues.collections.plans import MISSED_GRACE_DAYS, P, plan_audit
from dues.models import PaymentPlan, PlanInstalment
from imis_client.models import ImisInvoice


def plans_in_good_standing(invoice_ids: list[str]) -> dict[str, str]:
    """Invoices whose plan pauses the cadence: offered (waiting for the member) or accepted. A
    missed instalment does not restart the cadence: the plan's own reminder runs instead."""
    found = {}
    plans = PaymentPlan.objects.filter(invoice_id__in=invoice_ids, status__in=PaymentPlan.LIVE)
    missed = set(
        PlanInstalment.objects.filter(
            plan__in=plans, status=PlanInstalment.Status.MISSED
        ).values_list("plan_id", flat=True)
    )
    for plan in plans:
        state = plan.get_status_display().lower()
        if plan.pk in missed:
            state += ", an instalment missed (the plan's own reminder runs)"
        found[plan.invoice_id] = f"payment plan {plan.pk} {state}"
    return found


@transaction.atomic
def plans_refresh(*, today: date) -> dict:
    """Read each accepted plan's progress from its invoice's balance in the mirror: what was
    paid since the plan began settles instalments in order; one unpaid past its grace is
    missed; a paid invoice completes the plan."""
    plans = list(PaymentPlan.objects.select_for_update().filter(status=P.ACTIVE))
    balances = dict(
        ImisInvoice.objects.filter(imis_id__in=[p.invoice_id for p in plans]).values_list(
            "imis_id", "balance"
        )
    )
    counts = {"completed": 0, "missed": 0}
    for plan in plans:
        balance = balances.get(plan.invoice_id)
        paid = plan.balance - max(balance if balance is not None else plan.balance, Decimal(0))
        if balance is not None and balance <= 0:
            transition(plan, P.COMPLETED, subject=f"Plan {plan.pk}")
            plan.save(update_fields=["status", "updated_at"])
            plan_audit(plan, "plan.completed", "paid in full")
            counts["completed"] += 1
        for inst in plan.instalments.all():
            covered = min(paid, inst.amount)
            paid -= covered
            status = (
                PlanInstalment.Status.PAID
                if covered == inst.amount
                else PlanInstalment.Status.MISSED
                if today > inst.due_on + timedelta(days=MISSED_GRACE_DAYS)
                else PlanInstalment.Status.DUE
            )
            if (status, covered) != (inst.status, inst.paid_amount):
                if status == PlanInstalment.Status.MISSED and inst.status != status:
                    counts["missed"] += 1
                    plan_audit(plan, "plan.instalment_missed", f"instalment {inst.number} missed")
                inst.status, inst.paid_amount = status, covered
                inst.save(update_fields=["status", "paid_amount"])
    return counts


def instalment_reminders_file(*, today: date) -> int:
    """A missed instalment starts the plan's own reminder: one per instalment."""
    from dues.collections.planner import Due, _file_batch
    from dues.models import DunningAction, DunningStep

    step, _ = DunningStep.objects.get_or_create(
        code="plan_reminder",
        defaults={
            "label": "Missed plan instalment (the plan's own reminder)",
            "offset_days": 0,
            "channel": "email",
            "purpose": "dunning_1",
            "active": False,
        },
    )
    missed = PlanInstalment.objects.filter(
        status=PlanInstalment.Status.MISSED, plan__status=P.ACTIVE
    ).select_related("plan")
    reminded = set(
        DunningAction.objects.filter(plan_instalment__in=missed).values_list(
            "plan_instalment_id", flat=True
        )
    )
    due = [
        Due(i.plan.invoice_id, i.plan.invoice_id, i.plan.party_id, i.amount, i.due_on, step, "")
        for i in missed
        if i.pk not in reminded
    ]
    by_invoice = {i.plan.invoice_id: i for i in missed}
    return _file_batch(due, today, instalments=by_invoice) if due else 0
