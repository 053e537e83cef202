"""Matching wired to intake: match_payments runs the matcher and files or applies proposals."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from common import roles
from common.models import JobRun
from dues import intake
from dues.kinds import KIND
from dues.models import Payment
from reviews import services as reviews

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def book(mirror):
    mirror.member("48213", "John Smith", email="john.smith@example.org")
    mirror.member("52001", "Priya Patel", email="ppatel@example.org")
    mirror.member("52002", "Liam O'Connor")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10877", "52001", "240.00")
    mirror.invoice("10878", "52002", "95.00")
    return mirror


def receive(memo: str, amount: str, payer: str, key: str, **extra) -> Payment:
    payment, _ = intake.payment_record(
        source="csv", dedupe_key=key, amount=D(amount), received_on=date(2026, 3, 2),
        raw={"memo": memo}, payer_name=payer, memo=memo, method="check", match=False, **extra,
    )  # fmt: skip
    return payment


def test_match_payments_command_files_proposals_and_prints_a_summary(book):
    exact = receive("INV 10234", "120.00", "SMITH JOHN", "a")
    stranger = receive("donation", "13.37", "Unknown Holdings LLC", "b")
    out = StringIO()
    call_command("match_payments", stdout=out)
    summary = json.loads(out.getvalue())
    assert {k: summary[k] for k in ("payments", "proposed", "unmatched", "auto_applied")} == {
        "payments": 2, "proposed": 1, "unmatched": 1, "auto_applied": 0,
    }  # fmt: skip
    exact.refresh_from_db()
    stranger.refresh_from_db()
    assert exact.status == "proposed"
    assert exact.review_item.payload["invoices"] == "10234=120.00"
    top = exact.candidates.get(rank=1)
    assert (top.member_id, top.invoice_ids) == ("48213", ["10234"])
    assert "10234" in top.explanation
    assert stranger.status == "unmatched"
    assert stranger.review_item.payload["action"] == "not_ours"
    job = JobRun.objects.get(kind="dues.match_payments")
    assert (job.status, job.done, job.total) == ("succeeded", 2, 2)


def test_with_an_auto_policy_a_sure_exact_payment_goes_straight_to_the_hold(book, make_user):
    manager = make_user(roles.MANAGER)
    reviews.review_policy_set(user=manager, kind=KIND, mode="auto", min_confidence=D("0.9"))
    sure = receive("Dues INV 10234 member 48213", "120.00", "John Smith", "a",
                   payer_email="john.smith@example.org")  # fmt: skip
    partial = receive("INV 10877", "100.00", "Priya Patel", "b")
    call_command("match_payments", stdout=StringIO())
    sure.refresh_from_db()
    partial.refresh_from_db()
    assert (sure.status, sure.applied_by_policy) == ("held", True)
    # a partial payment is never applied by a policy, however sure the match
    assert partial.status == "proposed" and partial.review_item.confidence is None
    assert partial.review_item.rationale == (
        "Not for Auto: the amount does not equal the open balance exactly."
    )


def test_matching_knows_who_paid_a_members_dues_before_from_the_payments_applied(book):
    # last year Maeve Fitzgerald paid Liam O'Connor's dues, and the payment was applied to him
    last_year = receive("dues", "90.00", "MAEVE FITZGERALD", "old")
    Payment.objects.filter(pk=last_year.pk).update(status="posted", member_id="52002")
    again = receive("renewal", "95.00", "Maeve Fitzgerald", "new")

    call_command("match_payments", stdout=StringIO())

    top = Payment.objects.get(pk=again.pk).candidates.get(rank=1)
    assert (top.member_id, top.invoice_ids) == ("52002", ["10878"])
    assert "payer paid this member's dues before" in top.explanation
