"""A payment plan's instalments are expected payments: matching scores a payment of the next
instalment (or of the overdue ones with it) as it scores one of the balance, applies it to the
invoice and leaves the rest open; other partial amounts, and finished plans, gain nothing."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from common import roles
from dues import intake
from dues.kinds import KIND
from dues.matching import auto_applicable, candidates, match
from dues.matching.records import Remittance
from dues.models import Payment, PaymentPlan, PlanInstalment
from reviews import services as reviews

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def book(mirror):
    mirror.member("48213", "John Smith", email="john.smith@example.org")
    mirror.member("52001", "Priya Patel", email="ppatel@example.org")
    mirror.invoice("10234", "48213", "300.00")
    mirror.invoice("10877", "52001", "240.00")
    return mirror


def plan_for(invoice_id: str, party_id: str, amounts, *, first_due, status="active"):
    """A plan as the plan offer writes it: monthly instalments summing to the balance."""
    plan = PaymentPlan.objects.create(
        invoice_id=invoice_id,
        party_id=party_id,
        balance=sum((D(a) for a in amounts), D(0)),
        status=status,
    )
    PlanInstalment.objects.bulk_create(
        PlanInstalment(
            plan=plan, number=n, due_on=first_due + timedelta(days=30 * (n - 1)), amount=D(a)
        )
        for n, a in enumerate(amounts, start=1)
    )
    return plan


def smith(amount: str) -> Remittance:
    return Remittance(
        amount=D(amount), payer_name="John Smith", email="john.smith@example.org", method="check"
    )


def soon() -> date:
    return timezone.localdate() + timedelta(days=10)


def test_an_instalment_payment_matches_with_the_confidence_of_a_balance_payment(book):
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())

    found = match(smith("100.00"), candidates.match_index())

    top = found[0]
    assert top.allocations == (("10234", D("100.00")),)
    assert (top.credit, top.shortfall) == (D("0.00"), D("200.00"))
    assert top.signals["amount"] == "instalment"
    assert "next instalment" in top.explanation and "200.00 stays open" in top.explanation
    # as sure as the same member paying a balance of that amount
    balance = match(
        Remittance(amount=D("240.00"), payer_name="Priya Patel", email="ppatel@example.org"),
        candidates.match_index(),
    )[0]
    assert top.confidence == pytest.approx(balance.confidence, abs=0.02)
    assert top.confidence >= 0.95
    assert auto_applicable(found, smith("100.00"), 0.9)


def test_without_a_plan_the_same_payment_is_a_partial_payment(book):
    found = match(smith("100.00"), candidates.match_index())

    assert found[0].signals["amount"] == "partial"
    assert not auto_applicable(found, smith("100.00"), 0.9)


def test_a_random_partial_amount_is_not_boosted_by_the_plan(book):
    before = match(smith("87.00"), candidates.match_index())[0]
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())

    after = match(smith("87.00"), candidates.match_index())[0]

    assert after.signals["amount"] == before.signals["amount"] == "partial"
    assert after.confidence == before.confidence
    assert not auto_applicable([after], smith("87.00"), 0.9)


def test_only_the_next_instalment_counts_not_a_later_total(book):
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())

    # two instalments at once when none is overdue is a partial payment, not the plan's amount
    assert match(smith("200.00"), candidates.match_index())[0].signals["amount"] == "partial"


def test_an_overdue_instalment_with_the_next_one_is_expected(book):
    today = timezone.localdate()
    plan = plan_for(
        "10234", "48213", ["100.00", "100.00", "100.00"], first_due=today - timedelta(days=20)
    )
    plan.instalments.filter(number=1).update(status=PlanInstalment.Status.MISSED)

    assert candidates.load_expected_payments() == {"10234": [10000, 20000]}
    assert match(smith("100.00"), candidates.match_index())[0].signals["amount"] == "instalment"
    assert match(smith("200.00"), candidates.match_index())[0].signals["amount"] == "instalment"


def test_a_paid_instalment_moves_the_expectation_to_the_next(book, mirror):
    plan = plan_for("10234", "48213", ["100.00", "100.00", "100.01"], first_due=soon())
    plan.instalments.filter(number=1).update(
        status=PlanInstalment.Status.PAID, paid_amount=D("100.00")
    )
    plan.instalments.filter(number=2).update(paid_amount=D("40.00"))

    # what is left of the second instalment is what the plan expects next
    assert candidates.load_expected_payments() == {"10234": [6000]}


@pytest.mark.parametrize("status", ["completed", "cancelled", "proposed"])
def test_a_finished_or_unoffered_plans_amounts_no_longer_count(book, status):
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon(), status=status)

    assert candidates.load_expected_payments() == {}
    found = match(smith("100.00"), candidates.match_index())
    assert found[0].signals["amount"] == "partial"
    assert not auto_applicable(found, smith("100.00"), 0.9)


def test_another_members_payment_of_the_instalment_amount_is_not_taken_for_it(book):
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())

    found = match(
        Remittance(amount=D("100.00"), payer_name="Priya Patel", email="ppatel@example.org"),
        candidates.match_index(),
    )

    assert all(c.allocations[0][0] != "10234" or c.confidence < 0.2 for c in found)
    assert found[0].allocations[0][0] == "10877"


def receive(amount: str, key: str) -> Payment:
    payment, _ = intake.payment_record(
        source="csv",
        dedupe_key=key,
        amount=D(amount),
        received_on=timezone.localdate(),
        raw={"memo": "dues"},
        payer_name="John Smith",
        payer_email="john.smith@example.org",
        memo="dues",
        method="check",
        match=False,
    )
    return payment


def test_with_an_auto_policy_the_instalment_is_applied_and_the_rest_stays_open(book, make_user):
    manager = make_user(roles.MANAGER)
    reviews.review_policy_set(user=manager, kind=KIND, mode="auto", min_confidence=D("0.9"))
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())
    instalment = receive("100.00", "a")
    other = receive("87.00", "b")

    call_command("match_payments", stdout=StringIO())

    instalment.refresh_from_db()
    other.refresh_from_db()
    assert (instalment.status, instalment.applied_by_policy) == ("held", True)
    assert instalment.review_item.payload["invoices"] == [{"invoice": "10234", "amount": "100.00"}]
    top = instalment.candidates.get(rank=1)
    assert top.shortfall == D("200.00")
    # a random partial amount is proposed to a person, never applied by the policy
    assert other.status == "proposed" and not other.applied_by_policy


def test_without_auto_the_instalment_is_proposed_first_with_high_confidence(book):
    plan_for("10234", "48213", ["100.00", "100.00", "100.00"], first_due=soon())
    payment = receive("100.00", "a")

    call_command("match_payments", stdout=StringIO())

    payment.refresh_from_db()
    assert payment.status == "proposed"
    top = payment.candidates.get(rank=1)
    assert top.invoice_ids == ["10234"] and top.confidence >= D("0.95")
    assert "next instalment" in top.explanation
