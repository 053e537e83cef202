"""Access-matrix rows for the dues URLs; tests/common/test_access.py collects them.

MATRIX rows are (url name, kwargs, method, roles intended[, deny code or codes]); kwargs values
that name a placeholder are resolved by objects(), which creates one of each object needed.
"""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
    ("dues:queue", {}, "get", FINANCE),
    ("dues:match", {}, "post", FINANCE),
    ("dues:hold", {}, "get", FINANCE),
    ("dues:import", {}, "get", FINANCE),
    ("dues:import_detail", {"pk": "PAYMENT_IMPORT"}, "get", FINANCE),
    ("dues:check_new", {}, "get", FINANCE),
    ("dues:performance", {}, "get", FINANCE),
    # The rule for several open invoices of the amount: managers, as the Governance page.
    ("dues:matching_policy", {}, "post", {MG}),
    ("dues:payment_detail", {"pk": "PAYMENT"}, "get", FINANCE),
    ("dues:decide", {"pk": "PAYMENT"}, "post", FINANCE),
    ("dues:undo", {"pk": "PAYMENT"}, "post", FINANCE),
    ("dues:refund", {"pk": "PAYMENT"}, "post", FINANCE),
    # The member picker of the payment-application edit form.
    ("dues:party_search", {}, "get", FINANCE),
    # The pending-payment flags show on the member page, to everyone who may read members.
    ("dues:member_pending", {"imis_id": "MEMBER"}, "get", {M, F, MG, A}),
    ("api:dues:payment-list", {}, "get", FINANCE),
    ("api:dues:payment-detail", {"pk": "PAYMENT"}, "get", FINANCE),
    ("api:dues:payment-candidates", {"pk": "PAYMENT"}, "get", FINANCE),
    ("api:dues:payment-undo", {"pk": "PAYMENT"}, "post", FINANCE),
]


def objects() -> dict:
    from datetime import date
    from decimal import Decimal

    from dues.models import Payment, PaymentImport

    upload = PaymentImport.objects.create(
        file_format="csv", filename="bank.csv", sha256="0", size=1
    )
    payment = Payment.objects.create(
        source="csv",
        dedupe_key="access",
        raw={},
        amount=Decimal("10.00"),
        received_on=date(2026, 3, 2),
        payer_name="Zoë O'Brien",
        import_file=upload,
    )
    return {"PAYMENT": payment.pk, "PAYMENT_IMPORT": upload.pk}
