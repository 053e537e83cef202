"""The writes that bill and pay: a new member's subscription line, paying open invoices
(ComboOrder) and invoice adjustments (``Invoice/_execute``), all through the ledger. Validation
helpers and the other writes are in ``writes``.
"""

from __future__ import annotations

import numpy as np
import orjson

from . import shape_commerce, shapes
from .ledger import Changes, add_payment_row, apply_to_invoice, stamp_now
from .schemas import INVOICE_BASE, PARTY_BASE
from .table import NAT
from .writes import (
    WriteError,
    _check_known,
    _date,
    _decimal,
    _party,
    _serialize,
    _text,
    _unbox,
    _values,
)

# -- Subscription: a new member's billing set-up ----------------------------------------------
SUBSCRIPTION_FIELDS = [
    "PartyId",
    "ItemId",
    "BeginDate",
    "BillBegin",
    "BillThrough",
    "IsMemberComponent",
    "BillSubscription",
    "BilledAmount",
    "SourceCode",
    "InvoiceId",
    "ProductType",
]


def post_subscription(assoc, body) -> tuple[int, bytes]:
    """A new subscription line, billed (REFERENCE.md §3): without ``InvoiceId`` it opens a new
    invoice for it (``MembershipJoin``); with one (20.3.205+) it adds the line to that invoice.
    iMIS does not refuse a second line with the same SourceCode: callers read back first."""
    if not isinstance(body, dict):
        raise WriteError("Body must be SubscriptionData.")
    _check_known(
        {k: v for k, v in body.items() if k != "$type"}, SUBSCRIPTION_FIELDS, "Subscription"
    )
    member = _party(assoc, _text(body, "PartyId", required=True))
    item = _text(body, "ItemId", required=True, limit=80)
    if assoc.tables["items"].find(item) is None:
        raise WriteError(f"ItemId {item!r} does not exist.", [("ItemId", "unknown item")])
    begin, bill_begin, through = (_date(body, n) for n in ("BeginDate", "BillBegin", "BillThrough"))
    for name, value in (("BillBegin", bill_begin), ("BillThrough", through)):
        if np.isnat(value):
            raise WriteError(f"{name} is required.", [(name, "required")])
    if through < bill_begin:
        raise WriteError("BillThrough is before BillBegin.", [("BillThrough", "before BillBegin")])
    billed = _money(body.get("BilledAmount", 0), "BilledAmount")
    if billed < 0:
        raise WriteError("BilledAmount is negative.", [("BilledAmount", "negative")])
    inv = assoc.invoices
    stamp = assoc.stamp()
    raw_invoice = body.get("InvoiceId")
    if raw_invoice not in (None, "", 0):
        inv_row = inv.find(int(_decimal(raw_invoice, "InvoiceId")))
        if inv_row is None:
            raise WriteError(
                f"InvoiceId {raw_invoice!r} does not exist.", [("InvoiceId", "unknown")]
            )
        inv.set(
            inv_row,
            amount=int(inv.get(inv_row, "amount")) + billed,
            balance=int(inv.get(inv_row, "balance")) + billed,
        )
    else:
        inv_row = int(
            inv.append(
                invoice_id=INVOICE_BASE + inv.n,
                invoice_date=stamp,
                due_date=bill_begin,
                purpose="MembershipJoin",
                bill_to=PARTY_BASE + member,
                sold_to=PARTY_BASE + member,
                amount=billed,
                balance=billed,
                description=f"New membership billing {item}",
                item=item,
                term_begin=bill_begin,
                term_end=through,
                s_pay1=NAT,
                s_pay2=NAT,
                s_lapse=NAT,
                s_outcome=-1,  # behaviour.JOIN: the simulation leaves it to the member
                s_term=-1,
            )[0]
        )
    subs = assoc.subscriptions
    member_component = bool(body.get("IsMemberComponent"))
    row = int(
        subs.append(
            key=f"~{PARTY_BASE + member}|{item}|{subs.n}",
            party_id=PARTY_BASE + member,
            item=item,
            status="Active",
            begin_date=bill_begin if np.isnat(begin) else begin,
            bill_begin=bill_begin,
            bill_through=through,
            bill_date=stamp,
            date_added=stamp,
            last_updated=stamp,
            updated_by="API",
            bill_to=PARTY_BASE + member,
            invoice_id=int(inv.get(inv_row, "invoice_id")),
            billed=billed,
            balance=billed,
            product_type="DUES" if member_component else _text(body, "ProductType", limit=40),
            renew_months=12,
            member_component=member_component,
            source_code=_text(body, "SourceCode", limit=120),
        )[0]
    )
    return 201, _serialize(assoc, "subscription", row)


# -- ComboOrder: pay open invoices --------------------------------------------------------------
def _money(node, name) -> int:
    """Cents from MonetaryAmountData or a bare number; more than two decimals is an error."""
    raw = node.get("Amount") if isinstance(node, dict) else node
    amount = _decimal(raw, name)
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise WriteError(f"{name} has more than two decimal places: {raw}.", [(name, "precision")])
    return int(cents)


def combo_order(assoc, body) -> tuple[int, bytes]:
    """[U] Paying existing invoices: Invoices[InvoiceSummaryData] + Payments[RemittanceData].

    The payments' total is applied to the listed invoices in order, each up to its balance.
    ReferenceNumber is stored as given (iMIS does not enforce uniqueness: posting twice pays
    twice, which is why callers read back ``/api/Payment?ReferenceNumber=eq:..`` first).
    """
    if not isinstance(body, dict):
        raise WriteError("Body must be ComboOrderData.")
    invoices = _values(body.get("Invoices", []))
    payments = _values(body.get("Payments", []))
    if not invoices:
        raise WriteError("The order contains no items.", [("Invoices", "empty")])
    if not payments:
        raise WriteError("The order contains no payments.", [("Payments", "empty")])
    inv = assoc.invoices
    rows = []
    for item in invoices:
        raw = item.get("InvoiceId") if isinstance(item, dict) else None
        try:
            row = int(raw) - INVOICE_BASE
        except (TypeError, ValueError):
            row = -1
        if not 0 <= row < inv.n:
            raise WriteError(f"Invoice {raw!r} was not found.", [("InvoiceId", "unknown invoice")])
        if int(inv.col("balance")[row]) <= 0:
            raise WriteError(f"Invoice {raw} has no balance due.", [("InvoiceId", "nothing due")])
        if row in rows:
            raise WriteError(f"Invoice {raw} is listed twice.", [("InvoiceId", "duplicate")])
        rows.append(row)
    remits = []
    for p in payments:
        if not isinstance(p, dict):
            raise WriteError(
                "Each payment must be RemittanceData.", [("Payments", "not an object")]
            )
        cents = _money(p.get("Amount"), "Amount")
        if cents <= 0:
            raise WriteError("Amount must be greater than zero.", [("Amount", "not positive")])
        payor = (p.get("PayorParty") or {}).get("PartyId")
        payor_row = _party(assoc, payor, "PayorParty.PartyId")
        method = (p.get("PaymentMethod") or {}).get("PaymentMethodId") or "CASH"
        remits.append(
            (
                cents,
                payor_row,
                str(method),
                _text(p, "ReferenceNumber", limit=50),
                _text(p, "Message", limit=250),
            )
        )
    due = sum(int(inv.col("balance")[r]) for r in rows)
    total = sum(r[0] for r in remits)
    if total > due:
        raise WriteError(
            f"Payment total {total / 100:.2f} exceeds the balance due {due / 100:.2f}.",
            [("Amount", "overpayment")],
        )
    ch = Changes()
    day = assoc.now.astype("datetime64[D]")
    stamp = assoc.stamp()
    queue = list(rows)
    echo = []
    for cents, payor_row, method, reference, message in remits:
        left, touched = cents, []
        while left > 0 and queue:
            r = queue[0]
            applied = apply_to_invoice(assoc, r, left, day, ch)
            left -= applied
            touched.append(int(inv.col("invoice_id")[r]))
            if int(inv.col("balance")[r]) <= 0:
                queue.pop(0)
        pay_row = add_payment_row(
            assoc,
            PARTY_BASE + payor_row,
            cents,
            day,
            stamp,
            method,
            reference,
            message,
            touched,
            ch,
        )
        echo.append(
            {
                "$type": shapes.T(shapes.COMM, "RemittanceData"),
                "PaymentId": str(int(assoc.payments.col("payment_id")[pay_row])),
                "PayorParty": {
                    "$type": shapes.T(shapes.COMM, "CustomerPartyData"),
                    "PartyId": str(PARTY_BASE + payor_row),
                },
                "Amount": shapes.money(cents),
                "PaymentMethod": {
                    "$type": shapes.T(shapes.COMM, "PaymentMethodData"),
                    "PaymentMethodId": method,
                },
                "ReferenceNumber": reference,
                "Message": message,
            }
        )
    stamp_now(assoc, ch)
    out = {
        "$type": shapes.T(shapes.COMM, "ComboOrderData"),
        "Currency": shapes.CURRENCY,
        "Invoices": shapes.collection(
            shapes.T(shapes.COMM, "InvoiceSummaryDataCollection"),
            shape_commerce.invoice_dicts(assoc, np.array(rows)),
        ),
        "Payments": shapes.collection(shapes.T(shapes.COMM, "RemittanceDataCollection"), echo),
    }
    return 201, orjson.dumps(out)


# -- Invoice/_execute: ProcessCashAdjustment -----------------------------------------------------
ADJUSTMENT_MODES = ("ok", "501", "404")


def execute_invoice(assoc, body) -> tuple[int, bytes]:
    """[U] ``ProcessCashAdjustment`` (CONTRACT.md): Parameters are InvoiceId, Amount (a credit
    negative, a debit positive), Reason and ReferenceNumber. The site appends "[reference]
    reason" to the invoice's Note, so the same reference twice adjusts once (the second call
    answers with the invoice as it is). A credit larger than the balance plus what was paid is
    refused. Answers the invoice's InvoiceSummaryData after the adjustment."""
    if not isinstance(body, dict) or body.get("OperationName") != "ProcessCashAdjustment":
        name = body.get("OperationName") if isinstance(body, dict) else None
        raise WriteError(
            f"Operation '{name}' is not supported on Invoice.", [("OperationName", "unknown")]
        )
    params = _values(body.get("Parameters"))
    if len(params) != 4:
        raise WriteError(
            "ProcessCashAdjustment takes InvoiceId, Amount, Reason and ReferenceNumber.",
            [("Parameters", "expected 4 values")],
        )
    raw_id, raw_amount, reason, reference = (_unbox(p) for p in params)
    inv = assoc.invoices
    try:
        row = int(raw_id) - INVOICE_BASE
    except (TypeError, ValueError):
        row = -1
    if not 0 <= row < inv.n:
        raise WriteError(f"Invoice '{raw_id}' was not found.", status=404)
    reference = str(reference or "").strip()
    if not reference:
        raise WriteError("ReferenceNumber is required.", [("ReferenceNumber", "missing")])
    note = inv.get(row, "note")
    if f"[{reference}]" not in note:
        cents = _money(raw_amount, "Amount")
        if cents == 0:
            raise WriteError("Amount must not be zero.", [("Amount", "zero")])
        balance, paid = int(inv.col("balance")[row]), int(inv.col("paid")[row])
        if cents < 0 and -cents > balance + paid:
            raise WriteError(
                f"The credit of {-cents / 100:.2f} is more than invoice {raw_id}'s balance of "
                f"{balance / 100:.2f} plus {paid / 100:.2f} paid.",
                [("Amount", "credit exceeds the invoice")],
            )
        line = f"[{reference}] {str(reason or '').strip()[:200]}"
        inv.set(
            row,
            adjustment=int(inv.col("adjustment")[row]) + cents,
            balance=balance + cents,
            note=f"{note}\n{line}".strip(),
        )
    return 200, orjson.dumps(shape_commerce.invoice_dicts(assoc, np.array([row]))[0])
