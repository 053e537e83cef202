"""Access-matrix rows for the dunning URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR

MATRIX: list = [
    ("dues:dunning:today", {}, "get", {F, MG}),
    ("dues:dunning:run", {}, "post", {MG}),
    ("dues:dunning:cadence", {}, "get", {F, MG}),
    ("dues:dunning:cadence_save", {}, "post", {MG}),
    # Anyone who talks to members may record what a member asked about their messages.
    ("dues:dunning:opt_out", {}, "post", {M, F, MG}),
    ("dues:dunning:plan_create", {"invoice_id": "INVOICE"}, "post", {F, MG}),
    ("dues:dunning:plan_change", {"pk": "PLAN"}, "post", {F, MG}),
    ("dues:dunning:plan_cancel", {"pk": "PLAN"}, "post", {F, MG}),
]


def objects() -> dict:
    from datetime import date
    from decimal import Decimal

    from django.db import transaction

    from dues.models import PaymentPlan, PlanInstalment

    # one transaction: the database checks at commit that the instalments sum to the balance
    # (the browser tests run without a wrapping transaction)
    with transaction.atomic():
        plan = PaymentPlan.objects.create(
            invoice_id="ACCESS-INV", party_id="ACCESS", balance=Decimal("10.00")
        )
        PlanInstalment.objects.create(
            plan=plan, number=1, due_on=date(2027, 1, 1), amount=Decimal("5.00")
        )
        PlanInstalment.objects.create(
            plan=plan, number=2, due_on=date(2027, 2, 1), amount=Decimal("5.00")
        )
    return {"PLAN": plan.pk, "INVOICE": "ACCESS-INV"}
