"""Billing pages and API: filters and counts, an invoice line by line, a memo's edit and
decision, the calculator's answers and its errors, escaping, and the role rules."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from common import roles
from dues.billing import memos, services
from dues.models import CheckRun, CreditMemo, Finding
from imis_client.models import ImisParty
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checked(billing_mirror):
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    memos.credit_memos_file_for_findings()
    return billing_mirror


@pytest.fixture
def frank(client, make_user):
    user = make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    return user


def test_checks_page_counts_per_kind_and_filters_by_kind(client, frank, checked):
    page = client.get(reverse("dues:billing:checks"))
    html = page.content.decode()
    assert page.status_code == 200
    for kind in ("Wrong tier", "Stale price", "Duplicate for the term", "Chapter line wrong"):
        assert f"{kind}: " in html
    assert "Invoices clean" in html
    partial = client.get(
        reverse("dues:billing:checks"), {"kind": "duplicate"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert "<html" not in body
    rows = body.count('data-kind="duplicate"')
    assert rows == Finding.objects.filter(kind="duplicate").count()
    assert 'data-kind="stale_price"' not in body
    ordered = client.get(reverse("dues:billing:checks"), {"sort": "-difference"})
    assert ordered.status_code == 200


def test_checks_page_escapes_member_names(client, frank, checked):
    finding = Finding.objects.first()
    Finding.objects.filter(pk=finding.pk).update(member_name="<script>alert(1)</script>")
    html = client.get(reverse("dues:billing:checks")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_invoice_page_shows_billed_against_expected_line_by_line(client, frank, checked):
    finding = Finding.objects.filter(kind="chapter_line").first()
    html = client.get(reverse("dues:billing:invoice", args=[finding.invoice_id])).content.decode()
    assert "Billed against expected, line by line" in html
    assert "Chapter" in html and "mismatch" in html
    assert str(finding.expected) in html
    assert "Membership from" in html  # the breakdown


def test_memo_page_edit_amount_then_another_person_approves(client, make_user, frank, checked):
    memo = CreditMemo.objects.filter(amount__gt=-100, amount__lt=100).first()
    new = memo.amount - Decimal("1.00")
    response = client.post(
        reverse("dues:billing:memo_amend", args=[memo.pk]), {"amount": str(new), "reason": ""}
    )
    assert response.status_code == 302
    memo.refresh_from_db()
    assert memo.amount == new and memo.review_item.proposed_by == frank
    # frank may not approve what he proposed
    client.post(reverse("dues:billing:memo_decide", args=[memo.pk]), {"decision": "accept"})
    memo.review_item.refresh_from_db()
    assert memo.review_item.status == "pending"
    make_user(roles.FINANCE, username="fiona")
    client.login(username="fiona", password=PASSWORD)
    client.post(reverse("dues:billing:memo_decide", args=[memo.pk]), {"decision": "accept"})
    memo.review_item.refresh_from_db()
    assert memo.review_item.status == "approved"


def test_memo_amend_refuses_a_credit_larger_than_the_invoice(client, frank, checked):
    memo = CreditMemo.objects.filter(amount__lt=0).first()
    response = client.post(
        reverse("dues:billing:memo_amend", args=[memo.pk]), {"amount": "-99999.00"}
    )
    assert response.status_code == 400
    assert "is more than the invoice bills" in response.content.decode()


def _member_with_line():
    from imis_client.models import ImisSubscription

    sub = (
        ImisSubscription.objects.filter(
            item_code="DUES-STU", status="Active", bill_begin__isnull=False
        )
        .exclude(invoice_id="")
        .first()
    )
    return ImisParty.objects.get(imis_id=sub.party_id), sub


def _calculate(client, **query):
    return client.get(reverse("dues:billing:calculator"), query)


def test_calculator_tier_change_breakdown_and_proposal(client, frank, checked):
    member, sub = _member_with_line()
    on = sub.bill_begin.replace(day=10) if sub.bill_begin.day < 10 else sub.bill_begin
    on = date(on.year + (on.month // 12), on.month % 12 + 1, 10)
    page = _calculate(client, member=member.imis_id, change="tier_change", on=on, new_type="REG")
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "Debit adjustment of" in html
    assert "Unused part of STU" in html and "charged" in html
    response = client.post(
        reverse("dues:billing:calculator_propose"),
        {"member": member.imis_id, "change": "tier_change", "on": on, "new_type": "REG"},
    )
    memo = CreditMemo.objects.get(origin="calculator")
    assert response["Location"] == reverse("dues:billing:memo", args=[memo.pk])
    assert memo.review_item.proposed_by == frank and memo.amount > 0


def test_calculator_says_what_to_fix(client, frank, checked):
    member, sub = _member_with_line()
    outside = _calculate(
        client, member=member.imis_id, change="tier_change", on="2031-01-01", new_type="REG"
    )
    assert outside.status_code == 400
    assert "is outside the term" in outside.content.decode()
    unknown = _calculate(
        client, member=member.imis_id, change="tier_change", on=sub.bill_begin, new_type="XYZ"
    )
    assert "Unknown member type “XYZ”; choose one of" in unknown.content.decode()
    negative = _calculate(
        client, member=member.imis_id, change="cancellation", on=sub.bill_begin, paid="-5"
    )
    assert "The amount paid cannot be negative" in negative.content.decode()
    ImisParty.objects.filter(pk=member.pk).update(join_date=sub.bill_through)
    early = _calculate(
        client, member=member.imis_id, change="tier_change", on=sub.bill_begin, new_type="REG"
    )
    assert "is before the member joined on" in early.content.decode()
    nobody = _calculate(client, member="999999", change="cancellation", on="2025-05-01")
    assert "No member 999999 in the iMIS mirror" in nobody.content.decode()


def test_api_lists_findings_and_memos_for_finance_only(client, make_user, frank, checked):
    findings = client.get(reverse("api:dues:billing-finding-list"), {"kind": "duplicate"})
    assert findings.status_code == 200
    rows = findings.json()["results"]
    assert rows and {r["kind"] for r in rows} == {"duplicate"}
    assert rows[0]["expected"] == "0.00"
    memos_page = client.get(reverse("api:dues:billing-credit-memo-list"))
    assert memos_page.status_code == 200 and memos_page.json()["results"]
    make_user(roles.MEMBERSHIP)
    client.login(username="maya", password=PASSWORD)
    assert client.get(reverse("api:dues:billing-finding-list")).status_code == 403
    assert client.get(reverse("dues:billing:checks")).status_code == 403
