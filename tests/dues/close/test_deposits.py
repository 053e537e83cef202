"""Deposits: BAI2 account totals checked line by line and kept, CSV batches, Stripe payouts
through the signed webhook with their fee."""

import json
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dues import intake
from dues.intake.imports import payment_import_file
from dues.models import BankDeposit, Payment, WebhookEvent
from tests.dues.conftest import FIXTURES, stripe_headers

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_bai2_file_whose_totals_do_not_add_up_is_reported_line_by_line_and_kept():
    # the first account's trailer (line 12) claims 6,300.00; its records add up to 6,255.00
    text = (FIXTURES / "bai2" / "lockbox-deposits.txt").read_text()
    bad = text.replace("49,625500,10/", "49,630000,10/").replace("98,820500,", "98,820000,")

    record = payment_import_file(filename="bad-totals.bai", content=bad.encode())

    assert Payment.objects.filter(import_file=record).count() == 4  # nothing dropped
    problems = record.report["control_totals"]
    assert [p["line"] for p in problems] == [12, 16]
    assert problems[0]["problem"] == (
        "account 000123456789 trailer says $6,300.00; its records add up to $6,255.00 "
        "(difference $45.00)"
    )
    assert problems[1]["problem"].startswith("the group trailer says $8,200.00")
    kept = BankDeposit.objects.get(kind="bai2_account", import_file=record)
    assert kept.status == "unbalanced"
    assert [p["line"] for p in kept.problems] == [12, 16]
    assert kept.amount == D("175.00")  # the ACH credit that is not in a lockbox deposit


def test_a_bai2_file_that_adds_up_records_its_account_deposit_balanced():
    content = (FIXTURES / "bai2" / "lockbox-deposits.txt").read_bytes()

    record = payment_import_file(filename="good.bai", content=content)

    assert "control_totals" not in record.report
    deposit = BankDeposit.objects.get(kind="bai2_account", import_file=record)
    assert (deposit.status, deposit.amount, deposit.items, deposit.problems) == (
        "itemized",
        D("175.00"),
        1,
        [],
    )


def test_a_csv_file_is_one_batch_deposit_a_day():
    content = (
        b"date,amount,payer name,reference,memo,method\n"
        b"2026-11-12,120.00,Jane Smith,,Dues,check\n"
        b"2026-11-12,40.00,Ann Lee,,Dues,check\n"
        b"2026-11-13,75.50,Bo Chen,,Dues,check\n"
    )

    record = payment_import_file(filename="batch.csv", content=content)

    batches = BankDeposit.objects.filter(kind="csv_batch").order_by("received_on")
    assert [(b.received_on, b.amount, b.items) for b in batches] == [
        (date(2026, 11, 12), D("160.00"), 2),
        (date(2026, 11, 13), D("75.50"), 1),
    ]
    assert not Payment.objects.filter(import_file=record, deposit__isnull=True).exists()


def _payout_event(amount: int, arrival: int, payout: str = "po_1Nv0") -> dict:
    return {
        "id": f"evt_{payout}",
        "object": "event",
        "type": "payout.paid",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": payout,
                "object": "payout",
                "amount": amount,
                "arrival_date": arrival,
                "currency": "usd",
                "status": "paid",
                "destination": "ba_1Nv0",
            }
        },
    }


def test_a_signed_payout_records_its_fee_as_an_expense_not_a_short_payment(client, make_payment):
    paid = [
        make_payment("120.00", source="stripe", received_on=date(2026, 11, 3)),
        make_payment("95.00", source="stripe", received_on=date(2026, 11, 5)),
    ]
    later = make_payment("50.00", source="stripe", received_on=date(2026, 11, 9))
    arrival = int(datetime(2026, 11, 10, 9, tzinfo=ZoneInfo("America/New_York")).timestamp())
    body = json.dumps(_payout_event(20838, arrival)).encode()

    response = client.post(
        "/webhooks/stripe/", data=body, content_type="application/json", **stripe_headers(body)
    )
    assert response.status_code == 200
    event = intake.webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    assert event.status == "processed"
    payout = BankDeposit.objects.get(kind="stripe_payout")
    assert (payout.amount, payout.fee, payout.items_total, payout.status) == (
        D("208.38"),
        D("6.62"),
        D("215.00"),
        "itemized",
    )
    assert {p.pk for p in payout.payments.all()} == {p.pk for p in paid}
    later.refresh_from_db()
    assert later.deposit is None  # made after the payout's cut-off: the next payout's
    for p in paid:
        p.refresh_from_db()
        assert p.amount in (D("120.00"), D("95.00"))  # whole: the fee is not a short payment
    # delivered twice: one deposit
    client.post(
        "/webhooks/stripe/", data=body, content_type="application/json", **stripe_headers(body)
    )
    assert BankDeposit.objects.filter(kind="stripe_payout").count() == 1


def test_a_payout_signed_with_another_secret_is_refused(client):
    body = json.dumps(_payout_event(100, int(time.time()))).encode()
    response = client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        **stripe_headers(body, secret="whsec_wrong"),
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
