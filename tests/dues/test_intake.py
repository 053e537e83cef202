"""Intake of bank files and checks: stored once each, reported by line, audited."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from common import roles
from common.errors import DomainError
from common.models import AuditEvent, JobRun
from dues import intake
from dues.models import BankDeposit, JournalLine, JournalTransaction, Payment, PaymentImport
from tests.dues.conftest import FIXTURES, bai2_sample
from tests.dues.test_bankfiles import CSV

pytestmark = pytest.mark.django_db


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def test_import_keeps_good_lines_reports_bad_ones_and_journals_each_payment(
    make_user, django_capture_on_commit_callbacks
):
    finance = make_user(roles.FINANCE)
    with django_capture_on_commit_callbacks(execute=True):
        record = intake.payment_import_file(
            filename="march.csv", content=CSV.encode(), uploaded_by=finance
        )
    assert (record.lines, record.added, record.duplicates, record.errors) == (4, 4, 0, 4)
    assert record.report["error_lines"][0] == {
        "line": 4,
        "error": "the amount 'abc' is not an amount like 1,234.50",
    }
    payments = list(Payment.objects.order_by("line_number"))
    assert [(p.line_number, p.amount, p.status) for p in payments] == [
        (2, Decimal("120.00"), "received"),
        (3, Decimal("1250.00"), "received"),
        (8, Decimal("45.00"), "received"),
        (10, Decimal("60.00"), "received"),
    ]
    assert all(p.import_file == record and p.entered_by == finance for p in payments)
    # each payment: one intake entry, debit cash clearing, credit unapplied
    lines = JournalLine.objects.filter(payment=payments[1]).order_by("id")
    assert [(li.account, li.amount) for li in lines] == [
        ("cash_clearing", Decimal("1250.00")),
        ("unapplied", Decimal("-1250.00")),
    ]
    assert AuditEvent.objects.get(action="dues.file_imported").summary == (
        "Imported march.csv: 4 payments added, 0 already imported, 4 lines with errors"
    )
    # matching is queued once the import commits
    assert JobRun.objects.filter(kind="dues.match_payments", status="queued").count() == 1


def test_importing_the_same_file_twice_adds_nothing():
    content = bai2_sample("sample4-continuations-newline-delimited.txt")
    first = intake.payment_import_file(filename="gs.txt", content=content)
    second = intake.payment_import_file(filename="gs-again.txt", content=content)
    assert (first.added, first.duplicates) == (4, 0)
    assert (second.added, second.duplicates) == (0, 4)
    assert Payment.objects.count() == 4
    assert JournalTransaction.objects.count() == 4
    assert second.report["duplicate_lines"][0]["line"] == 50


def test_an_unreadable_file_is_refused_whole_and_stores_nothing():
    with pytest.raises(
        DomainError,
        match=exactly(
            "bad.txt: Line 1 starts with '00'; a BAI2 file starts with a 01 file header record. "
            "Is this the right file?"
        ),
    ):
        intake.payment_import_file(filename="bad.txt", content=bai2_sample("sample-parseError.txt"))
    assert PaymentImport.objects.count() == 0 and Payment.objects.count() == 0


def test_import_payments_command_prints_the_report_as_json(tmp_path):
    out = StringIO()
    call_command("import_payments", str(FIXTURES / "bai2" / "sample1.txt"), stdout=out)
    report = json.loads(out.getvalue())
    assert (report["format"], report["added"], report["already_imported"], report["errors"]) == (
        "bai2",
        5,
        0,
        0,
    )
    assert report["skipped"] == 12
    again = StringIO()
    call_command("import_payments", str(FIXTURES / "bai2" / "sample1.txt"), stdout=again)
    assert json.loads(again.getvalue())["added"] == 0
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_payments", str(tmp_path / "missing.csv"))


def test_check_entered_by_hand_is_stored_once(make_user):
    finance = make_user(roles.FINANCE)
    payment = intake.check_enter(
        user=finance,
        check_number="001042",
        amount=Decimal("240.00"),
        received_on=date(2026, 3, 2),
        payer_name="Dr. Maria  Gonzalez",
        memo="INV 10234",
    )
    assert (payment.source, payment.method, payment.reference, payment.amount) == (
        "check",
        "check",
        "001042",
        Decimal("240.00"),
    )
    entered = timezone.localtime(payment.created_at).strftime("%Y-%m-%d")
    with pytest.raises(
        DomainError,
        match=exactly(
            f"Check 1042 from dr. maria gonzalez for $240.00 was already entered on {entered} as "
            f"payment #{payment.pk}."
        ),
    ):
        intake.check_enter(
            user=finance,
            check_number="1042",
            amount=Decimal("240.00"),
            received_on=date(2026, 3, 2),
            payer_name="dr. maria gonzalez",
        )
    with pytest.raises(DomainError, match=exactly("The date received cannot be in the future.")):
        intake.check_enter(
            user=finance,
            check_number="7",
            amount=Decimal("1.00"),
            payer_name="X",
            received_on=timezone.localdate() + timedelta(days=1),
        )


def test_new_payments_queue_a_matching_run_behind_a_running_one_but_not_a_second_waiting():
    from dues.tasks import payments_match_scheduled_task

    # given a matching run under way and payments waiting
    running = JobRun.objects.create(
        kind="dues.match_payments", label="Match incoming payments", status="running"
    )
    intake.payment_import_file(filename="march.csv", content=CSV.encode())
    # then the schedule leaves it alone, while new payments queue one run behind it
    assert payments_match_scheduled_task() is None
    intake.match_soon()
    intake.match_soon()
    waiting = JobRun.objects.exclude(pk=running.pk).get(kind="dues.match_payments")
    assert (waiting.status, waiting.exclusive) == ("queued", "waiting")


def test_a_lockbox_deposit_is_stored_as_the_grouping_of_its_items_and_never_as_a_payment():
    # when a file with an itemized lockbox deposit and one without items is imported
    record = intake.payment_import_file(
        filename="lockbox.txt", content=bai2_sample("lockbox-deposits.txt")
    )
    # then the items are the payments, each carrying its deposit
    assert (record.lines, record.added) == (4, 4)
    itemized, waiting = BankDeposit.objects.filter(kind="lockbox").order_by("line_number")
    assert (itemized.status, itemized.amount, itemized.items) == ("itemized", Decimal("955.00"), 3)
    assert [(p.line_number, p.deposit_id) for p in Payment.objects.order_by("line_number")] == [
        (5, itemized.pk),
        (7, itemized.pk),
        (9, itemized.pk),
        (10, BankDeposit.objects.get(kind="bai2_account").pk),  # the ACH: its account's deposit
    ]
    assert sum(p.amount for p in itemized.payments.all()) == itemized.amount
    # and the deposit without items waits for the lockbox detail: no payment, no journal entry
    assert (waiting.status, waiting.amount, waiting.payments.count()) == (
        "awaiting",
        Decimal("650.00"),
        0,
    )
    assert not Payment.objects.filter(amount=Decimal("650.00")).exists()
    assert JournalTransaction.objects.count() == 4
    assert record.report["deposits_awaiting_detail"] == 1
    assert AuditEvent.objects.get(
        object_type="bank_deposit", object_id=str(waiting.pk)
    ).summary == (
        "Lockbox deposit LBX0701B: $650.00, waiting for the lockbox detail (0 items, line 14 of "
        "lockbox.txt)"
    )


def test_the_lockbox_detail_itemizes_a_deposit_that_was_waiting():
    # given yesterday's file with the lockbox deposit's total alone
    head = (
        "01,121000248,DUESDESK,250702,0600,{n},80,,2/\n"
        "02,DUESDESK,121000248,1,250701,2400,USD,2/\n"
        "03,000123456790,USD,010,0,,,015,0,,,100,0,1,0/\n"
        "16,115,65000,0,LBX0701B,4472,LOCKBOX DEPOSIT/\n"
    )
    total_only = head.format(n=1) + "49,65000,3/\n98,65000,1,5/\n99,65000,1,7/\n"
    intake.payment_import_file(filename="prior-day.txt", content=total_only.encode())
    deposit = BankDeposit.objects.get()
    assert deposit.status == "awaiting" and Payment.objects.count() == 0
    # when the lockbox detail arrives with the same deposit and its two checks
    detail = head.format(n=2) + (
        "16,116,32500,0,LBX0701B001,501,LOCKBOX ITEM CHECK 501 REMITTER:ANA LIMA/\n"
        "16,116,32500,0,LBX0701B002,502,LOCKBOX ITEM CHECK 502 REMITTER:TOM REYES/\n"
        "49,130000,5/\n98,130000,1,7/\n99,130000,1,9/\n"
    )
    record = intake.payment_import_file(filename="lockbox-detail.txt", content=detail.encode())
    # then the same deposit is itemized by them
    deposit.refresh_from_db()
    assert (deposit.status, deposit.items, deposit.items_total) == ("itemized", 2, Decimal("650"))
    assert BankDeposit.objects.count() == 1 and record.added == 2
    assert {p.deposit_id for p in Payment.objects.all()} == {deposit.pk}
    event = AuditEvent.objects.get(action="dues.deposit_itemized")
    assert (event.data["before"], event.data["after"]) == ("awaiting", "itemized")
