"""The journal-entry kind: balanced entries only, never in a closed period, recorded once."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from common.errors import DomainError
from dues.close.entries import JournalEntryDraft, journal_entry_propose, parse_lines
from dues.close.periods import period_require_open
from dues.ledger.gl import gl_entry_record
from dues.models import AccountingPeriod, GlEntry, GlEntryLine

pytestmark = pytest.mark.django_db


def _draft(lines: str, day: date = date(2026, 11, 30)) -> JournalEntryDraft:
    return JournalEntryDraft.from_payload(
        {"date": day.isoformat(), "journal": "ADJ", "reference": "T-1", "lines": lines}
    )


def test_parse_lines_names_the_row_with_a_problem():
    with pytest.raises(DomainError, match=r"Line 2: “nosuch” is not a ledger account"):
        parse_lines("processor_fees | 10.00 |  | fee\nnosuch |  | 10.00")
    with pytest.raises(DomainError, match="Line 1: give either a debit or a credit"):
        parse_lines("processor_fees | 10.00 | 10.00")


def test_unbalanced_entry_cannot_be_filed_or_recorded():
    draft = _draft("processor_fees | 10.00\ncash:stripe |  | 9.99")
    assert not draft.balanced
    with pytest.raises(DomainError, match=r"does not balance: debits \$10.00, credits \$9.99"):
        journal_entry_propose(draft=draft, title="fee")
    with pytest.raises(DomainError, match="does not balance"):
        gl_entry_record(draft=draft, key="t-unbalanced")
    assert not GlEntry.objects.exists()


def test_database_refuses_an_unbalanced_entry_written_around_the_service():
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = GlEntry.objects.create(
            key="raw", entry_date=date(2026, 11, 30), journal="ADJ", reference="R", memo=""
        )
        GlEntryLine.objects.create(entry=entry, account="processor_fees", amount=Decimal("5"))
        GlEntryLine.objects.create(entry=entry, account="cash:stripe", amount=Decimal("-4"))
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_entry_in_a_closed_period_is_refused_with_the_period_name():
    AccountingPeriod.objects.create(month=date(2026, 10, 1), status="closed")
    draft = _draft("processor_fees | 10.00\ncash:stripe |  | 10.00", date(2026, 10, 31))
    message = r"October 2026 \(2026-10\) is a closed period: nothing can be dated 2026-10-31"
    with pytest.raises(DomainError, match=message):
        period_require_open(date(2026, 10, 31))
    with pytest.raises(DomainError, match=message):
        gl_entry_record(draft=draft, key="t-closed")


def test_database_refuses_an_entry_in_a_closed_period_with_its_name():
    AccountingPeriod.objects.create(month=date(2026, 10, 1), status="closed")
    closed = r"October 2026 \(2026-10\) is a closed period"
    with pytest.raises(IntegrityError, match=closed), transaction.atomic():
        GlEntry.objects.create(
            key="raw", entry_date=date(2026, 10, 5), journal="ADJ", reference="R", memo=""
        )


def test_gl_entry_record_is_idempotent_by_key():
    draft = _draft("processor_fees | 10.00\ncash:stripe |  | 10.00")
    first = gl_entry_record(draft=draft, key="t-once")
    second = gl_entry_record(draft=draft, key="t-once")
    assert first.pk == second.pk
    assert list(first.lines.values_list("account", "amount")) == [
        ("processor_fees", Decimal("10.00")),
        ("cash:stripe", Decimal("-10.00")),
    ]


def _filed(amount: str = "10.00", user=None):
    draft = _draft(f"processor_fees | {amount}\ncash:stripe |  | {amount}")
    return journal_entry_propose(draft=draft, title="fee", user=user)


def test_an_edit_that_unbalances_the_entry_is_refused_and_the_draft_kept(make_user):
    from common import roles
    from reviews.services import review_item_decide

    item = _filed()
    fiona = make_user(roles.FINANCE, "fiona")
    payload = {**item.payload, "lines": "processor_fees | 10.00\ncash:stripe |  | 9.00"}

    with pytest.raises(DomainError, match="does not balance"):
        review_item_decide(item_id=item.pk, user=fiona, decision="edit", payload=payload)

    item.refresh_from_db()
    assert item.status == "pending" and "| 10.00" in item.payload["lines"].splitlines()[1]


def test_four_eyes_whoever_proposed_or_edited_cannot_approve(make_user):
    from common import roles
    from reviews.services import review_item_decide

    frank, fiona = make_user(roles.FINANCE, "frank"), make_user(roles.FINANCE, "fiona")
    item = _filed(user=frank)
    with pytest.raises(DomainError):
        review_item_decide(item_id=item.pk, user=frank, decision="accept")
    edited = {**item.payload, "memo": "fees of November"}
    review_item_decide(item_id=item.pk, user=fiona, decision="edit", payload=edited)
    with pytest.raises(DomainError):
        review_item_decide(item_id=item.pk, user=fiona, decision="accept")

    with pytest.raises(DomainError, match="You proposed this item"):
        review_item_decide(item_id=item.pk, user=frank, decision="accept")
    third = make_user(roles.FINANCE, "felix")
    assert review_item_decide(item_id=item.pk, user=third, decision="accept").status == "edited"


def test_above_the_threshold_a_manager_must_approve(make_user):
    from common import roles
    from reviews.services import review_item_decide

    item = _filed("900.00")
    with pytest.raises(DomainError):
        review_item_decide(
            item_id=item.pk, user=make_user(roles.FINANCE, "fiona"), decision="accept"
        )
    manager = make_user(roles.MANAGER, "maria")
    assert review_item_decide(item_id=item.pk, user=manager, decision="accept").status == "approved"
