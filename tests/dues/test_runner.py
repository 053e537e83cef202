"""Matching wired to intake: match_payments runs the matcher and files or applies proposals."""

import json
import threading
import time
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from common import roles
from common.models import AuditEvent, JobRun
from dues import intake, ledger, matching, services
from dues.kinds import KIND
from dues.matching import candidates
from dues.matching.run import payments_match, remittance_for
from dues.models import JournalLine, Payment
from reviews import services as reviews
from tests.dues.conftest import Mirror

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
        source="csv",
        dedupe_key=key,
        amount=D(amount),
        received_on=date(2026, 3, 2),
        raw={"memo": memo},
        payer_name=payer,
        memo=memo,
        method="check",
        match=False,
        **extra,
    )
    return payment


def test_match_payments_command_files_proposals_and_prints_a_summary(book):
    exact = receive("INV 10234", "120.00", "SMITH JOHN", "a")
    stranger = receive("donation", "13.37", "Unknown Holdings LLC", "b")
    out = StringIO()
    call_command("match_payments", stdout=out)
    summary = json.loads(out.getvalue())
    assert {k: summary[k] for k in ("payments", "proposed", "unmatched", "auto_applied")} == {
        "payments": 2,
        "proposed": 1,
        "unmatched": 1,
        "auto_applied": 0,
    }
    exact.refresh_from_db()
    stranger.refresh_from_db()
    assert exact.status == "proposed"
    assert exact.review_item.payload["invoices"] == [{"invoice": "10234", "amount": "120.00"}]
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
    sure = receive(
        "Dues INV 10234 member 48213",
        "120.00",
        "John Smith",
        "a",
        payer_email="john.smith@example.org",
    )
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


def _auto(make_user) -> None:
    manager = make_user(roles.MANAGER)
    reviews.review_policy_set(user=manager, kind=KIND, mode="auto", min_confidence=D("0.9"))


def test_a_batch_files_what_one_at_a_time_would_and_applies_each_invoice_once(book, make_user):
    # given an Auto policy and, in one batch, two sure payments of the one invoice 10234
    _auto(make_user)
    first = receive(
        "Dues INV 10234 member 48213",
        "120.00",
        "John Smith",
        "a",
        payer_email="john.smith@example.org",
    )
    second = receive(
        "Dues INV 10234 member 48213",
        "120.00",
        "John Smith",
        "b",
        payer_email="john.smith@example.org",
    )
    partial = receive("INV 10877", "100.00", "Priya Patel", "c")

    summary = payments_match()

    # then the first is applied; the second, too late for the invoice, waits for a person with
    # the reason; the partial one is proposed: every payment has its candidates and item
    assert {k: summary[k] for k in ("payments", "auto_applied", "proposed", "skipped")} == {
        "payments": 3,
        "auto_applied": 1,
        "proposed": 2,
        "skipped": 0,
    }
    first, second, partial = (Payment.objects.get(pk=p.pk) for p in (first, second, partial))
    assert (first.status, first.applied_by_policy, first.member_id) == ("held", True, "48213")
    assert first.labels.get().outcome == "top"
    assert second.status == "proposed"
    assert second.review_item.status == "failed"
    assert second.review_item.effect_error == (
        f"DomainError: Invoice 10234 has $0.00 left to apply; payment #{second.pk} cannot put "
        "$120.00 on it. Another payment was applied to it first: choose another invoice or keep "
        "the money as credit."
    )
    assert ledger.payment_balances(second.pk)["unapplied"] == D("-120.00")
    assert partial.review_item.status == "pending"
    for payment in (first, second, partial):
        assert payment.candidates.count() == payment.candidate_count > 0
        assert (
            AuditEvent.objects.filter(
                action="dues.payment_matched", object_id=str(payment.pk)
            ).count()
            == 1
        )
    held = JournalLine.objects.filter(invoice_id="10234", account="hold")
    assert sum(line.amount for line in held) == D("-120.00")
    # and a second run finds nothing left to do
    assert payments_match()["payments"] == 0


def test_a_payment_decided_while_its_batch_waits_is_left_as_decided(transactional_db, make_user):
    # given a payment that a person holds (flagging it as not ours) when matching files it
    mirror = Mirror()
    mirror.member("48213", "John Smith")
    mirror.invoice("10234", "48213", "120.00")
    payment = receive("INV 10234", "120.00", "John Smith", "a")
    other = receive("INV 10234", "60.00", "John Smith", "b")
    filings = [
        services.Filing(
            p.pk, list(matching.match(remittance_for(p), candidates.match_index())), False, ""
        )
        for p in (payment, other)
    ]
    holding, decided = threading.Event(), threading.Event()

    def person() -> None:
        try:
            with transaction.atomic():
                Payment.objects.select_for_update().get(pk=payment.pk)
                holding.set()
                time.sleep(0.5)  # the batch is waiting for this row meanwhile
                services.payment_flag_not_ours(payment_id=payment.pk)
            decided.set()
        finally:
            connection.close()

    thread = threading.Thread(target=person)
    thread.start()
    holding.wait(5)
    # when the batch is filed
    filed = services.payments_candidates_file_many(filings=filings)
    thread.join()
    # then the decided payment is skipped, untouched; the other is filed
    assert decided.is_set()
    assert set(filed) == {other.pk}
    payment.refresh_from_db()
    assert (payment.status, payment.candidate_count, payment.review_item) == ("not_ours", 0, None)
    assert Payment.objects.get(pk=other.pk).status == "proposed"
