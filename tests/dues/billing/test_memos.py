"""Credit memos and debit adjustments: proposed for findings, decided under the review rules,
posted to the sandbox iMIS and the ledger exactly once, explained to the member after."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from common import roles
from common.errors import DomainError
from dues.billing import memo_posting, memos, services
from dues.models import AdjustmentEntry, AdjustmentLine, CheckRun, CreditMemo, Finding
from imis_client.client import ImisClient
from imis_client.models import OutboxWrite
from imis_client.services import outbox_relay
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture
def memos_filed(billing_mirror):
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    result = memos.credit_memos_file_for_findings()
    assert result["not_filed"] == 0
    return result


@pytest.fixture
def relay(billing_sandbox):
    def run(**kw):
        with ImisClient(billing_sandbox.base_url, "sandbox", "sandbox", timeout=2, **kw) as c:
            # every due write now, however far its backoff
            OutboxWrite.objects.filter(state="pending").update(next_attempt_at="2000-01-01T00:00Z")
            return outbox_relay(client=c)

    return run


def _memo(kind: str, *, small: bool = True) -> CreditMemo:
    memos_of_kind = CreditMemo.objects.filter(finding__kind=kind).select_related("review_item")
    for memo in memos_of_kind:
        if (abs(memo.amount) <= D("100.00")) == small:
            return memo
    raise AssertionError(f"no {'small' if small else 'large'} memo of kind {kind}")


def _state(memo) -> str:
    return OutboxWrite.objects.get(source=f"credit memo {memo.pk}").state


def _invoice(sandbox, invoice_id: str) -> dict:
    inv = sandbox.association.invoices
    row = inv.find(int(invoice_id))
    return {
        "adjustment": int(inv.col("adjustment")[row]),
        "note": inv.get(row, "note"),
        "balance": int(inv.col("balance")[row]),
    }


def test_memo_filed_for_each_finding_with_a_drafted_explanation(memos_filed):
    findings = Finding.objects.exclude(expected=None)
    assert memos_filed["filed"] == findings.count() > 0
    assert set(findings.values_list("status", flat=True)) == {"memo"}
    duplicate = _memo("duplicate", small=False)
    assert duplicate.amount == -duplicate.finding.billed  # the whole invoice
    for memo in CreditMemo.objects.select_related("review_item", "finding"):
        item = memo.review_item
        assert item.kind == "dues.credit_memo"
        assert item.amount == abs(memo.amount)
        assert memo.amount == memo.finding.expected - memo.finding.billed
        assert item.queue == ("manager" if abs(memo.amount) > D("100.00") else "finance")
        assert item.payload["draft"]["blocking"] is False, item.payload["draft"]["flags"]
        assert memo.reference in item.payload["breakdown"] or item.payload["breakdown"]
    # no second memo for the same findings
    assert memos.credit_memos_file_for_findings()["filed"] == 0


def test_memo_posts_once_to_imis_and_the_ledger_and_then_explains(
    memos_filed, make_user, relay, billing_sandbox
):
    frank = make_user(roles.FINANCE)
    memo = _memo("stale_price")
    before = _invoice(billing_sandbox, memo.invoice_id)
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    review_item_execute(item_id=memo.review_item_id)  # a second run acts no more
    memo.refresh_from_db()
    assert memo.status == "approved"
    assert OutboxWrite.objects.filter(source=f"credit memo {memo.pk}").count() == 1
    assert mail.outbox == []  # nothing to the member before iMIS has it
    relay()
    assert _state(memo) == "delivered"
    assert memo_posting.credit_memos_sync()["posted"] == 1
    memo.refresh_from_db()
    assert memo.status == "posted"
    after = _invoice(billing_sandbox, memo.invoice_id)
    assert after["adjustment"] - before["adjustment"] == int(memo.amount * 100)
    assert f"[{memo.reference}]" in after["note"]
    lines = AdjustmentLine.objects.filter(entry__memo=memo)
    assert sum(li.amount for li in lines) == 0
    assert (
        {li.account: li.amount for li in lines}
        == {
            "credit_memos": -memo.amount,
            "receivable": memo.amount,
        }
        if memo.amount < 0
        else {"receivable": memo.amount, "dues_revenue": -memo.amount}
    )
    assert len(mail.outbox) == 1
    assert "A correction to invoice" in mail.outbox[0].subject
    assert memo_posting.credit_memos_sync()["posted"] == 0  # and once only


def test_commit_then_timeout_on_the_adjustment_posts_once(
    memos_filed, make_user, relay, billing_sandbox
):
    frank = make_user(roles.FINANCE)
    memo = _memo("other_difference")
    before = _invoice(billing_sandbox, memo.invoice_id)
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    # iMIS commits the adjustment, then the answer never comes
    billing_sandbox.faults.commit_timeout_next(1, path="/api/Invoice/_execute", seconds=3)
    relay()
    write = OutboxWrite.objects.get(source=f"credit memo {memo.pk}")
    assert (write.state, write.ambiguous) == ("pending", True)
    # the retry reads the invoice back, finds our reference in its Note, and does not re-post
    relay()
    assert _state(memo) == "delivered"
    after = _invoice(billing_sandbox, memo.invoice_id)
    assert after["adjustment"] - before["adjustment"] == int(memo.amount * 100)
    assert after["note"].count(f"[{memo.reference}]") == 1
    assert billing_sandbox.app.counters["writes_applied"]["Invoice"] == 1
    memo_posting.credit_memos_sync()
    memo.refresh_from_db()
    assert memo.status == "posted"


def test_a_site_without_rest_adjustments_gets_a_note_and_the_memo_waits_to_be_keyed_in(
    memos_filed, make_user, relay, billing_sandbox
):
    from imis_client.models import ImisInvoice

    billing_sandbox.association.adjustments = "501"
    frank = make_user(roles.FINANCE)
    memo = _memo("chapter_line")
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    relay()
    assert _state(memo) == "failed"
    assert memo_posting.credit_memos_sync()["to_key_in"] == 1
    memo.refresh_from_db()
    assert memo.status == "to_key_in"
    assert "501" in memo.imis_message
    note = OutboxWrite.objects.get(reference=memo.note_reference)
    assert note.path == "/api/PartyNote"
    assert "key in by hand" in note.body["Text"] and memo.reference in note.body["Text"]
    relay()
    assert OutboxWrite.objects.get(reference=memo.note_reference).state == "delivered"
    assert mail.outbox == []
    # finance keys it in; the next sync sees the adjustment on the invoice
    ImisInvoice.objects.filter(imis_id=memo.invoice_id).update(
        adjustment_amount=memo.baseline_adjustment + memo.amount
    )
    assert memo_posting.credit_memos_sync()["posted"] == 1
    memo.refresh_from_db()
    assert memo.status == "posted"
    assert AdjustmentEntry.objects.filter(memo=memo).count() == 1
    assert len(mail.outbox) == 1


def test_an_imis_refusal_is_shown_with_imis_message(memos_filed, make_user, relay, billing_sandbox):
    frank = make_user(roles.FINANCE)
    memo = CreditMemo.objects.filter(amount__lt=0, amount__gte=-100).first()
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    inv = billing_sandbox.association.invoices
    inv.set(inv.find(int(memo.invoice_id)), balance=0, paid=0)  # iMIS has nothing to credit
    relay()
    assert _state(memo) == "failed"
    memo_posting.credit_memos_sync()
    memo.refresh_from_db()
    assert memo.status == "refused"
    assert "HTTP 400" in memo.imis_message and "is more than invoice" in memo.imis_message


def test_four_eyes_an_edited_amount_is_approved_by_someone_else(memos_filed, make_user):
    frank = make_user(roles.FINANCE)
    fiona = make_user(roles.FINANCE, username="fiona")
    memo = _memo("multi_year_discount")
    old_item = memo.review_item_id
    memos.credit_memo_amend(memo_id=memo.pk, user=frank, amount=memo.amount + D("1.00"))
    memo.refresh_from_db()
    assert ReviewItem.objects.get(pk=old_item).status == "stale"
    item = memo.review_item
    assert item.proposed_by == frank and item.amount == abs(memo.amount)
    assert item.payload["amount"] == str(memo.amount)
    with pytest.raises(DomainError, match="You proposed this item; someone else must approve it"):
        review_item_decide(item_id=item.pk, user=frank, decision="accept")
    review_item_decide(item_id=item.pk, user=fiona, decision="accept")
    assert review_item_execute(item_id=item.pk).status == "done"


def test_amount_edited_on_the_review_page_is_refused(memos_filed, make_user):
    fiona = make_user(roles.FINANCE, username="fiona")
    memo = _memo("multi_year_discount")
    payload = {**memo.review_item.payload, "amount": "-1.00"}
    with pytest.raises(DomainError, match="Change the amount with Edit amount"):
        review_item_decide(
            item_id=memo.review_item_id, user=fiona, decision="edit", payload=payload
        )


def test_above_the_threshold_a_manager_approves(memos_filed, make_user):
    frank = make_user(roles.FINANCE)
    grace = make_user(roles.MANAGER)
    memo = _memo("duplicate", small=False)
    with pytest.raises(DomainError, match="Your role cannot decide items in the manager queue"):
        review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_decide(item_id=memo.review_item_id, user=grace, decision="accept")


def test_a_rejected_memo_dismisses_its_finding_for_good(memos_filed, make_user, billing_mirror):
    frank = make_user(roles.FINANCE)
    memo = _memo("other_difference")
    review_item_decide(
        item_id=memo.review_item_id, user=frank, decision="reject", reason="not_needed"
    )
    assert memo_posting.credit_memos_sync()["rejected"] == 1
    memo.refresh_from_db()
    assert (memo.status, memo.finding.status) == ("rejected", "dismissed")
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    assert not Finding.objects.filter(
        invoice_id=memo.invoice_id, status__in=["open", "memo"]
    ).exists()
    assert memos.credit_memos_file_for_findings()["filed"] == 0


def test_reversing_a_posted_memo_sends_the_opposite_and_reverses_the_entry(
    memos_filed, make_user, relay, billing_sandbox
):
    from reviews.services import review_item_reverse

    frank = make_user(roles.FINANCE)
    memo = _memo("stale_price")
    before = _invoice(billing_sandbox, memo.invoice_id)
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    relay()
    memo_posting.credit_memos_sync()
    review_item_reverse(item_id=memo.review_item_id, user=frank, reason="keyed twice by hand")
    relay()
    memo.refresh_from_db()
    assert memo.status == "reversed"
    assert _invoice(billing_sandbox, memo.invoice_id)["adjustment"] == before["adjustment"]
    totals = {}
    for line in AdjustmentLine.objects.filter(entry__memo=memo):
        totals[line.account] = totals.get(line.account, 0) + line.amount
    assert set(totals.values()) == {0}


def test_the_adjustment_journal_is_append_only_and_balanced_in_the_database(
    memos_filed, make_user, relay
):
    frank = make_user(roles.FINANCE)
    memo = _memo("stale_price")
    review_item_decide(item_id=memo.review_item_id, user=frank, decision="accept")
    review_item_execute(item_id=memo.review_item_id)
    relay()
    memo_posting.credit_memos_sync()
    entry = AdjustmentEntry.objects.get(memo=memo)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AdjustmentLine.objects.filter(entry=entry).update(amount=D("1.00"))
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        lone = AdjustmentEntry.objects.create(
            memo=memo,
            kind="post",
            key="lone",
            memo_text="x",
            actor_name="t",
            created_at=entry.created_at,
        )
        AdjustmentLine.objects.create(
            entry=lone, account="receivable", amount=D("5.00"), invoice_id=memo.invoice_id
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_memo_whose_invoice_is_corrected_meanwhile_is_withdrawn(memos_filed, billing_mirror):
    from imis_client.models import ImisInvoice

    memo = _memo("other_difference")
    ImisInvoice.objects.filter(imis_id=memo.invoice_id).update(adjustment_amount=memo.amount)
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    memo_posting.credit_memos_sync()
    memo.refresh_from_db()
    assert memo.finding.status == "resolved"
    assert (memo.status, memo.review_item.status) == ("rejected", "stale")
