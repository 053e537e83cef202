"""Access-matrix rows for the billing URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
    ("dues:billing:policy", {}, "get", FINANCE),
    ("dues:billing:policy_update", {}, "post", {MG}),
    ("dues:billing:checks", {}, "get", FINANCE),
    ("dues:billing:checks_run", {}, "post", FINANCE),
    ("dues:billing:invoice", {"invoice_id": "BILLING_INVOICE"}, "get", FINANCE),
    ("dues:billing:memos", {}, "get", FINANCE),
    ("dues:billing:memo", {"pk": "MEMO"}, "get", FINANCE),
    # Answered with the page again (400) for the empty amount the matrix posts.
    ("dues:billing:memo_amend", {"pk": "MEMO"}, "post", set(), (400, 403)),
    ("dues:billing:memo_decide", {"pk": "MEMO"}, "post", FINANCE),
    ("dues:billing:calculator", {}, "get", FINANCE),
    ("dues:billing:calculator_propose", {}, "post", FINANCE),
    ("api:dues:billing-finding-list", {}, "get", FINANCE),
    ("api:dues:billing-finding-detail", {"pk": "FINDING"}, "get", FINANCE),
    ("api:dues:billing-credit-memo-list", {}, "get", FINANCE),
    ("api:dues:billing-credit-memo-detail", {"pk": "MEMO"}, "get", FINANCE),
    # Answers 400 for the empty amount the matrix posts, after the access check.
    ("api:dues:billing-credit-memo-amend", {"pk": "MEMO"}, "post", set(), (400, 403)),
]


def objects() -> dict:
    from decimal import Decimal

    from django.utils import timezone

    from dues.models import CreditMemo, Finding
    from imis_client.models import ImisInvoice

    now = timezone.now()
    ImisInvoice.objects.create(
        imis_id="300777",
        number="300777",
        sold_to_id="10001",
        bill_to_id="10001",
        amount=Decimal("325.00"),
        balance=Decimal("325.00"),
        raw={},
        raw_hash=0,
        synced_at=now,
    )
    finding = Finding.objects.create(
        invoice_id="300777",
        invoice_number="300777",
        member_id="10001",
        kind="stale_price",
        billed=Decimal("325.00"),
        expected=Decimal("340.00"),
        difference=Decimal("15.00"),
        confidence=Decimal("0.970"),
        summary="Billed $325.00, expected $340.00.",
        created_at=now,
        checked_at=now,
    )
    memo = CreditMemo.objects.create(
        reference="DD-CM-ACCESS",
        origin="check",
        finding=finding,
        invoice_id="300777",
        invoice_number="300777",
        member_id="10001",
        amount=Decimal("15.00"),
        reason="the price in force",
        created_at=now,
    )
    return {"FINDING": finding.pk, "MEMO": memo.pk, "BILLING_INVOICE": "300777"}
