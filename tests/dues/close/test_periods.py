"""Closing and reopening a month, the chart-of-accounts mapping, and the GL export."""

from datetime import date
from decimal import Decimal as D

import pytest

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from dues.close import export, mapping, periods
from dues.close.recognition import Change, InvoiceTerm, revenue_events_apply
from dues.close.recognition_entries import recognition_draft
from dues.close.reconcile import pending_entries, reconciliation_run
from dues.models import AccountingPeriod, GlEntry, RevenueEvent
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute
from tests.dues.close.month import NOV, build_november

pytestmark = pytest.mark.django_db


def _approve_all(month, user):
    """The drafts are the job's, so a finance person may approve each (all are below the
    manager's threshold); the effect then records the entry."""
    for item in pending_entries(month):
        review_item_decide(item_id=item.pk, user=user, decision="accept")
        review_item_execute(item_id=item.pk)


def _map_all(user, with_names=True):
    for n, account in enumerate(mapping.ledger_accounts(), start=1):
        mapping.gl_mapping_set(
            account=account,
            gl_code=f"{1000 + n}",
            gl_name=f"Dues desk:{account}" if with_names else "",
            user=user,
        )


@pytest.fixture
def november(mirror, make_payment, make_user):
    build_november(mirror, make_payment)
    fiona = make_user(roles.FINANCE, "fiona")
    reconciliation_run(month=NOV, user=None)
    return fiona


def test_a_month_with_entries_waiting_cannot_close(november):
    with pytest.raises(
        DomainError, match=r"4 adjusting entries of November 2026 \(2026-11\) still wait"
    ):
        periods.period_close(month=NOV, user=november)


def test_closing_locks_the_month_and_corrections_go_to_the_open_period(november, make_user):
    _approve_all(NOV, november)
    assert GlEntry.objects.filter(entry_date=date(2026, 11, 30)).count() == 4

    period = periods.period_close(month=NOV, user=november)

    assert period.status == "closed"
    event = AuditEvent.objects.get(action="close.period_closed")
    assert event.data["before"] == "open" and event.data["after"] == "closed"
    assert periods.entry_date_for(NOV) == date(2026, 12, 1)
    with pytest.raises(DomainError, match=r"November 2026 \(2026-11\) is a closed period"):
        periods.period_require_open(date(2026, 11, 15))


def test_reopening_is_a_managers_audited_action_with_a_reason(november, make_user):
    _approve_all(NOV, november)
    periods.period_close(month=NOV, user=november)
    manager = make_user(roles.MANAGER, "maria")
    with pytest.raises(DomainError, match="Say why"):
        periods.period_reopen(month=NOV, user=manager, reason=" ")

    periods.period_reopen(month=NOV, user=manager, reason="late bank fee")

    assert AccountingPeriod.objects.get(month=NOV).status == "open"
    event = AuditEvent.objects.get(action="close.period_reopened")
    assert event.actor == manager and event.data["reason"] == "late bank fee"


def test_a_month_not_yet_ended_cannot_close(make_user):
    with pytest.raises(DomainError, match="has not ended"):
        periods.period_close(month=date(2026, 12, 1), user=make_user(roles.FINANCE))


def test_the_export_names_the_missing_account_instead_of_writing_a_file(november, make_user):
    _approve_all(NOV, november)
    periods.period_close(month=NOV, user=november)
    manager = make_user(roles.MANAGER, "maria")
    _map_all(manager)
    mapping.gl_mapping_set(account="processor_fees", gl_code="", user=manager)

    with pytest.raises(
        DomainError, match=r"needs a GL code for: Processor fees \(processor_fees\)"
    ):
        export.gl_export(month=NOV, fmt="generic")


def test_the_generic_and_quickbooks_exports_balance_and_name_codes(november, make_user):
    _approve_all(NOV, november)
    periods.period_close(month=NOV, user=november)
    manager = make_user(roles.MANAGER, "maria")
    _map_all(manager)
    codes = {m.account: m.gl_code for m in mapping.GlMapping.objects.all()}

    generic = export.gl_export(month=NOV, fmt="generic")
    qbo = export.gl_export(month=NOV, fmt="qbo")

    assert generic.header == [
        "date",
        "journal",
        "account_code",
        "debit",
        "credit",
        "memo",
        "reference",
    ]
    fee = [r for r in generic.rows if r[2] == codes["processor_fees"]]
    assert fee == [
        [
            "2026-11-30",
            "ADJ",
            codes["processor_fees"],
            "6.62",
            "",
            "November 2026 (2026-11): processor fee (processor fees withheld from payouts) "
            "(Processor fees withheld from payouts)",
            fee[0][6],
        ]
    ]
    assert fee[0][6].startswith("REC-202611-FEE-")
    debits = sum(float(r[3] or 0) for r in generic.rows)
    credits = sum(float(r[4] or 0) for r in generic.rows)
    assert round(debits, 2) == round(credits, 2) == 191.62
    assert qbo.header[:5] == ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits"]
    assert {r[1] for r in qbo.rows} == {"11/30/2026"}
    assert "Dues desk:processor_fees" in {r[2] for r in qbo.rows}


def test_the_export_of_an_open_month_is_refused():
    with pytest.raises(DomainError, match=r"Close October 2026 \(2026-10\) before exporting"):
        export.gl_export(month=date(2026, 10, 1), fmt="generic")


def test_each_mapping_change_is_audited_before_and_after(make_user):
    manager = make_user(roles.MANAGER, "maria")
    mapping.gl_mapping_set(account="suspense", gl_code="2990", gl_name="Suspense", user=manager)
    mapping.gl_mapping_set(account="suspense", gl_code="2995", gl_name="Suspense", user=manager)
    with pytest.raises(DomainError, match="is not a ledger account"):
        mapping.gl_mapping_set(account="nonsense", gl_code="1", user=manager)
    with pytest.raises(DomainError, match="use up to 40 letters"):
        mapping.gl_mapping_set(account="suspense", gl_code="=cmd()", user=manager)

    events = list(AuditEvent.objects.filter(action="close.mapping_changed").order_by("id"))
    assert [(e.data["before"], e.data["after"]) for e in events] == [
        (None, {"gl_code": "2990", "gl_name": "Suspense"}),
        ({"gl_code": "2990", "gl_name": "Suspense"}, {"gl_code": "2995", "gl_name": "Suspense"}),
    ]


def test_the_revenue_journal_keeps_the_period_lock_and_counts_in_the_open_period(
    november, make_user
):
    from django.db import IntegrityError, transaction

    from dues.close.recognition import open_period
    from dues.models import RevenueEntry

    _approve_all(NOV, november)
    periods.period_close(month=NOV, user=november)
    # an event dated in the closed month counts in the first open one
    assert open_period() == date(2026, 12, 1)
    # and the database refuses a revenue entry dated in it, naming the period
    refused = pytest.raises(IntegrityError, match=r"November 2026 \(2026-11\) is a closed period")
    with refused, transaction.atomic():
        RevenueEntry.objects.create(
            kind="adjust", period=NOV, key="t-closed", memo="late credit", actor_name="t"
        )


def _revenue_in_november(approver) -> None:
    """November's revenue journal: INV-R2 billed and deferred, INV-R1 (billed in October)
    credited 11.00, and the month's recognition drafted and approved."""
    revenue_events_apply(
        changes=[Change("INV-R1", RevenueEvent.Kind.DEFER, date(2026, 10, 5), D("120.00"), "r1")],
        actor_name="test",
        new_terms=[
            InvoiceTerm("INV-R1", "M-R1", "DUES/REG", date(2026, 10, 1), date(2027, 9, 30)),
            InvoiceTerm("INV-R2", "M-R2", "DUES/REG", date(2026, 11, 1), date(2027, 10, 31)),
        ],
    )
    revenue_events_apply(
        changes=[
            Change("INV-R2", RevenueEvent.Kind.DEFER, date(2026, 11, 10), D("240.00"), "r2"),
            Change("INV-R1", RevenueEvent.Kind.CREDIT_MEMO, date(2026, 11, 15), D("-11"), "m1"),
        ],
        actor_name="test",
    )
    recognition_draft(period=NOV)
    for item in ReviewItem.objects.filter(object_ref="recognition:2026-11"):
        review_item_decide(item_id=item.pk, user=approver, decision="accept")
        review_item_execute(item_id=item.pk)


def test_the_export_carries_the_revenue_journal_of_the_month_and_balances(november, make_user):
    # given a reconciled November with deferrals, a credit memo and its recognition posted
    _approve_all(NOV, november)
    _revenue_in_november(november)
    periods.period_close(month=NOV, user=november)
    manager = make_user(roles.MANAGER, "maria")
    _map_all(manager)
    codes = {m.account: m.gl_code for m in mapping.GlMapping.objects.all()}

    # when it is exported
    generic = export.gl_export(month=NOV, fmt="generic")
    qbo = export.gl_export(month=NOV, fmt="qbo")

    # then the revenue journal is there, one balanced entry a kind, dated the month's last day
    rev = [r for r in generic.rows if r[1] == "REV"]
    assert [(r[6], r[2], r[3], r[4]) for r in rev] == [
        ("REV-202611-DEFER", codes["receivable"], "240.00", ""),
        ("REV-202611-DEFER", codes["deferred_dues_revenue"], "", "240.00"),
        ("REV-202611-ADJUST", codes["deferred_dues_revenue"], "11.00", ""),
        ("REV-202611-ADJUST", codes["credit_memos"], "", "11.00"),
        ("REV-202611-RECOGNISE", codes["deferred_dues_revenue"], "29.00", ""),
        ("REV-202611-RECOGNISE", codes["dues_revenue:DUES/REG"], "", "29.00"),
    ]
    assert {r[0] for r in rev} == {"2026-11-30"}
    assert rev[-1][5] == (
        "November 2026 (2026-11): dues revenue recognised, 1 entry of the revenue journal"
    )
    # and the whole month's debits equal its credits: the adjusting entries' 191.62 and these
    debits = sum(D(r[3] or "0") for r in generic.rows)
    credits = sum(D(r[4] or "0") for r in generic.rows)
    assert debits == credits == D("191.62") + D("280.00")
    assert ("REV-202611-RECOGNISE", "Dues desk:dues_revenue:DUES/REG", "", "29.00") in {
        (r[0], r[2], r[3], r[4]) for r in qbo.rows
    }


def test_the_export_names_an_unmapped_revenue_account(november, make_user):
    _approve_all(NOV, november)
    _revenue_in_november(november)
    periods.period_close(month=NOV, user=november)
    manager = make_user(roles.MANAGER, "maria")
    _map_all(manager)
    mapping.gl_mapping_set(account="dues_revenue:DUES/REG", gl_code="", user=manager)

    with pytest.raises(
        DomainError,
        match=r"needs a GL code for: Dues revenue: DUES/REG \(dues_revenue:DUES/REG\)\. Map it",
    ):
        export.gl_export(month=NOV, fmt="generic")


def test_the_export_waits_for_the_months_recognition_to_be_approved(november, make_user):
    _approve_all(NOV, november)
    revenue_events_apply(
        changes=[Change("INV-R3", RevenueEvent.Kind.DEFER, date(2026, 11, 2), D("60.00"), "r3")],
        actor_name="test",
        new_terms=[InvoiceTerm("INV-R3", "M-R3", "DUES/REG", date(2026, 11, 1), date(2027, 4, 30))],
    )
    recognition_draft(period=NOV)  # filed, not yet approved
    periods.period_close(month=NOV, user=november)
    _map_all(make_user(roles.MANAGER, "maria"))

    with pytest.raises(
        DomainError,
        match=r"The revenue recognition of November 2026 \(2026-11\) still waits for approval",
    ):
        export.gl_export(month=NOV, fmt="generic")
