"""iMIS shapes of dues lines, invoices, payments and items (dicts built in batches)."""

from __future__ import annotations

import numpy as np

from . import behaviour as bh
from .profile_b import served_item
from .shapes import (
    COMM,
    DUES_CLASS,
    FINANCIAL_ENTITY,
    T_STRINGS,
    T,
    collection,
    money,
    party_summary,
    update_info,
)
from .table import EMPTY_DATE


def _item_summary(item_id: str, assoc=None, served: str | None = None) -> dict:
    served = served or item_id
    if item_id in bh.ITEM_CODES or assoc is None:
        type_idx = bh.ITEM_CODES.index(item_id) if item_id in bh.ITEM_CODES else 0
        name, cls = f"{bh.TYPE_NAMES[type_idx]} Dues", DUES_CLASS
    else:
        row = assoc.items.find(item_id)
        name = assoc.items.get(row, "name") if row is not None else item_id
        code = (assoc.items.get(row, "item_class") if row is not None else "") or "DUES"
        cls = {**DUES_CLASS, "ItemClassId": code, "Name": code.title()}
    return {
        "$type": T(COMM, "ItemSummaryData"),
        "ItemId": served,
        "ItemCode": served,
        "Name": name,
        "ItemClass": cls,
    }


_SUB_COLS = [
    "party_id",
    "item",
    "status",
    "begin_date",
    "bill_begin",
    "bill_through",
    "bill_date",
    "paid_thru",
    "continuous_since",
    "date_added",
    "last_updated",
    "updated_by",
    "cancelled_as_of",
    "bill_to",
    "invoice_id",
    "billed",
    "paid",
    "payment_date",
    "balance",
    "reminder_count",
    "reminder_date",
    "product_type",
    "renew_months",
    "member_component",
    "source_code",
]


def subscription_dicts(assoc, idx: np.ndarray) -> list[dict]:
    c = assoc.subscriptions.rows(idx, _SUB_COLS)
    out = []
    for i in range(len(idx)):
        d = {
            "$type": T(COMM, "SubscriptionData"),
            "PartyId": str(c["party_id"][i]),
            "ItemId": served_item(assoc, c["item"][i]),
            "Item": _item_summary(c["item"][i], assoc, served_item(assoc, c["item"][i])),
            "ProductType": c["product_type"][i] or "DUES",
            "Status": c["status"][i],
            "BeginDate": c["begin_date"][i],
            "BillBegin": c["bill_begin"][i],
            "BillThrough": c["bill_through"][i],
            "BillDate": c["bill_date"][i],
            "PaidThru": c["paid_thru"][i],
            "ContinuousSince": c["continuous_since"][i],
            "DateAdded": c["date_added"][i],
            "LastUpdated": c["last_updated"][i],
            "UpdatedBy": c["updated_by"][i],
            "CancelledAsOf": c["cancelled_as_of"][i],
            "BillToPartyId": str(c["bill_to"][i]),
            "AccountingMethod": "Cash",
            "BilledAmount": c["billed"][i] / 100,
            "PaymentAmount": c["paid"][i] / 100,
            "PaymentDate": c["payment_date"][i],
            "AdjustmentAmount": 0.0,
            "Balance": c["balance"][i] / 100,
            "PreviousBalance": 0.0,
            "FutureCredits": 0.0,
            "Copies": 1,
            "RenewMonths": c["renew_months"][i] or 12,
            "ReminderCount": c["reminder_count"][i],
            "ReminderDate": c["reminder_date"][i],
            "IsComplimentary": False,
            # Lines of the sandbox's own dues rows are the membership; added lines say so.
            "IsMemberComponent": c["member_component"][i] or not c["product_type"][i],
            "BillSubscription": True,
        }
        if c["source_code"][i]:
            d["SourceCode"] = c["source_code"][i]
        if c["invoice_id"][i]:
            d["InvoiceId"] = str(c["invoice_id"][i])
        out.append(d)
    return out


_INV_COLS = [
    "invoice_id",
    "invoice_date",
    "due_date",
    "purpose",
    "bill_to",
    "sold_to",
    "amount",
    "adjustment",
    "paid",
    "balance",
    "description",
    "note",
]


def invoice_dicts(assoc, idx: np.ndarray) -> list[dict]:
    c = assoc.invoices.rows(idx, _INV_COLS)
    out = []
    for i in range(len(idx)):
        inv_id = str(c["invoice_id"][i])
        out.append(
            {
                "$type": T(COMM, "InvoiceSummaryData"),
                "InvoiceId": inv_id,
                "InvoiceNumber": inv_id,
                "InvoiceDate": c["invoice_date"][i],
                "DueDate": c["due_date"][i],
                "InvoicePurpose": c["purpose"][i],
                "AccountingMethod": "Cash",
                "BillToParty": party_summary(assoc, c["bill_to"][i]),
                "SoldToParty": party_summary(assoc, c["sold_to"][i]),
                "InvoiceAmount": money(c["amount"][i]),
                "OriginalInvoiceAmount": money(c["amount"][i]),
                "AdjustmentAmount": money(c["adjustment"][i]),
                "PaymentAmount": money(c["paid"][i]),
                "PendingPaymentAmount": money(0),
                "PreviousBalance": money(0),
                "Balance": money(c["balance"][i]),
                "Description": c["description"][i],
                "Note": c["note"][i],
                "FinancialEntity": FINANCIAL_ENTITY,
            }
        )
        if c["note"][i]:
            out[-1]["Note"] = c["note"][i]  # what an adjustment left (a cancelled renewal)
        autopay = _autopay_instruction(assoc, c, i)
        if autopay:
            out[-1]["AutoPayInstructionId"] = autopay
    return out


def _autopay_instruction(assoc, c: dict, i: int) -> str:
    """The member's auto-pay instruction on a renewal the member is billed for in person (an
    employer's invoice or a first join is paid otherwise)."""
    if c["purpose"][i] == "MembershipJoin" or c["bill_to"][i] != c["sold_to"][i]:
        return ""
    row = assoc.party_row(c["sold_to"][i])
    return "" if row is None else assoc.parties.get(row, "autopay_id") or ""


_PAYMENT_TYPES = {"CHECK": "Check", "ACH": "Check", "CASH": "Cash"}


def payment_dicts(assoc, idx: np.ndarray) -> list[dict]:
    """[U] PaymentData fields: not in the public field lists (REFERENCE.md section 5)."""
    cols = [
        "payment_id",
        "party_id",
        "amount",
        "payment_date",
        "method",
        "reference",
        "message",
        "invoice_ids",
        "created_on",
    ]
    c = assoc.payments.rows(idx, cols)
    out = []
    for i in range(len(idx)):
        invoices = c["invoice_ids"][i].split()
        out.append(
            {
                "$type": T(COMM, "PaymentData"),
                "PaymentId": str(c["payment_id"][i]),
                "PayorParty": {
                    "$type": T(COMM, "CustomerPartyData"),
                    "PartyId": str(c["party_id"][i]),
                },
                "Amount": money(c["amount"][i]),
                "PaymentDate": c["payment_date"][i],
                "PaymentMethod": {
                    "$type": T(COMM, "PaymentMethodData"),
                    "PaymentMethodId": c["method"][i],
                    "PaymentType": _PAYMENT_TYPES.get(c["method"][i], "CreditCard"),
                },
                "ReferenceNumber": c["reference"][i],
                "Message": c["message"][i],
                "InvoiceId": invoices[0] if invoices else "",
                "AppliedInvoiceIds": collection(T_STRINGS, invoices),
                "CreatedOn": c["created_on"][i],
            }
        )
    return out


ITEM_SHAPES = ("sdk", "legacy", "itemprice")
_ITEM_COLS = [
    "item_id",
    "name",
    "price",
    "updated_on",
    "item_class",
    "member_type",
    "has_price",
    "price_since",
    "prev_price",
    "prev_since",
    "future_price",
    "future_date",
]
_CLASSES = {"DUES": "Dues", "SUBSCRIPTION": "Subscriptions"}


def item_dicts(assoc, idx: np.ndarray) -> list[dict]:
    """[U] the price fields: ``assoc.item_shape`` chooses what the site serves (CONTRACT.md):

    - ``sdk``: ``TempDefaultPrice`` (a bare number, as in ASI's SDK item samples) and
      ``MemberType``; no future price;
    - ``legacy``: the legacy product columns ``PRICE_1``, ``FUTURE_PRICE_1`` and
      ``FUTURE_PRICE_DATE``, and no ``MemberType`` (the desk's mapping names the item);
    - ``itemprice``: ``ItemPrice`` rows (``Price``, ``EffectiveDate``) for last year's, the
      current and the future price, beside ``TempDefaultPrice`` and ``MemberType``.
    """
    shape = getattr(assoc, "item_shape", "sdk")
    c = assoc.items.rows(idx, _ITEM_COLS)
    out = []
    for i in range(len(idx)):
        cls = c["item_class"][i] or "DUES"
        d = {
            "$type": T(COMM, "ItemData"),
            "ItemId": served_item(assoc, c["item_id"][i]),
            "ItemCode": served_item(assoc, c["item_id"][i]),
            "Name": c["name"][i],
            "Description": c["name"][i],
            "ItemClass": {
                "$type": T(COMM, "ItemClassSummaryData"),
                "ItemClassId": cls,
                "Name": _CLASSES.get(cls, cls.title()),
            },
            "ItemStatus": "A",
            "UpdateInformation": update_info(
                c["updated_on"][i], "MANAGER", c["updated_on"][i], "MANAGER"
            ),
        }
        priced = c["has_price"][i]
        current = c["price"][i] / 100 if priced else None
        future = c["future_date"][i] != EMPTY_DATE
        if shape == "legacy":
            d["PRICE_1"] = current
            if future and priced:
                d["FUTURE_PRICE_1"] = c["future_price"][i] / 100
                d["FUTURE_PRICE_DATE"] = c["future_date"][i]
            else:
                d["FUTURE_PRICE_1"] = 0.0
                d["FUTURE_PRICE_DATE"] = EMPTY_DATE
        else:
            d["TempDefaultPrice"] = current
            if c["member_type"][i]:
                d["MemberType"] = c["member_type"][i]
        if shape == "itemprice" and priced:
            rows = [
                (c["prev_price"][i], c["prev_since"][i]),
                (c["price"][i], c["price_since"][i]),
            ]
            if future:
                rows.append((c["future_price"][i], c["future_date"][i]))
            d["ItemPrice"] = collection(
                T(COMM, "ItemPriceDataCollection"),
                [
                    {
                        "$type": T(COMM, "ItemPriceData"),
                        "Price": money(cents),
                        "EffectiveDate": since,
                    }
                    for cents, since in rows
                    if since != EMPTY_DATE
                ],
            )
        out.append(d)
    return out
