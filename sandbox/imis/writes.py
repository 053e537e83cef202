"""The writes the product makes: risk rows, audit rows, activities, notes and payments.

Bodies are accepted with or without ``$type`` (REFERENCE.md: ASI samples always send it,
whether iMIS requires it is unknown). Anything invalid raises ``WriteError`` (400) with a
message that names the property to fix; nothing is applied when validation fails.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import orjson

from . import shape_commerce, shape_engagement, shapes
from .entities import ENTITIES
from .ledger import Changes, add_payment_row, apply_to_invoice, stamp_now
from .schemas import ACTIVITY_BASE, AUDIT_BASE, INVOICE_BASE, NOTE_BASE, PARTY_BASE
from .shapes import serialize_rows
from .table import DT, NAT


class WriteError(Exception):
    """A rejected write: ``status`` 400 (validation) or 404 (unknown target)."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None, status=400):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status


def _values(node) -> list:
    if isinstance(node, dict):
        node = node.get("$values", [])
    if not isinstance(node, list):
        raise WriteError("Expected a collection ({'$values': [...]}).")
    return node


def _unbox(value):
    if isinstance(value, dict) and "$value" in value:
        return value["$value"]
    return value


def generic_properties(body) -> dict[str, object]:
    """Properties of a GenericEntityData body as a name -> unboxed value mapping."""
    if not isinstance(body, dict) or "Properties" not in body:
        raise WriteError(
            "Body must be GenericEntityData with Properties.", [("Properties", "missing")]
        )
    out = {}
    for item in _values(body["Properties"]):
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise WriteError("Every property needs a Name.", [("Properties", "Name missing")])
        out[item["Name"]] = _unbox(item.get("Value"))
    return out


def _text(props, name, required=False, limit=4000) -> str:
    value = props.get(name)
    if value is None or value == "":
        if required:
            raise WriteError(f"{name} is required.", [(name, "required")])
        return ""
    if not isinstance(value, str | int | float):
        raise WriteError(f"{name} must be text.", [(name, "not text")])
    text = str(value)
    if len(text) > limit:
        raise WriteError(f"{name} is longer than {limit} characters.", [(name, "too long")])
    return text


def _date(props, name) -> np.datetime64:
    value = props.get(name)
    if value in (None, "") or (isinstance(value, str) and value.startswith("0001-01-01")):
        return NAT
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise WriteError(
            f"{name} is not a valid date: {value!r}.", [(name, "invalid date")]
        ) from None
    if parsed.tzinfo is not None:
        raise WriteError(
            f"{name} must be site-local time without an offset: {value!r}.",
            [(name, "offset not allowed")],
        )
    return np.datetime64(parsed, "ms")


def _decimal(value, name) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise WriteError(
            f"{name} must be a number, not {value!r}.", [(name, "not a number")]
        ) from None
    if not number.is_finite():
        raise WriteError(f"{name} must be a finite number.", [(name, "not a number")])
    return number


def _party(assoc, raw, name="PartyId") -> int:
    row = assoc.party_row(raw)
    if row is None:
        raise WriteError(f"{name} {raw!r} does not exist.", [(name, "unknown party")])
    return row


def _check_known(props, allowed, entity) -> None:
    unknown = sorted(set(props) - set(allowed))
    if unknown:
        raise WriteError(
            f"Property '{unknown[0]}' does not exist on {entity}.",
            [(u, "unknown property") for u in unknown],
        )


def _serialize(assoc, key: str, row: int) -> bytes:
    return serialize_rows(assoc, ENTITIES[key], np.array([row]))[0]


# -- AI_RenewalRisk (single-instance, PUT by PartyId) -------------------------------------------
def put_risk(assoc, party_id: str, body) -> tuple[int, bytes]:
    if assoc.party_row(party_id) is None:
        raise WriteError(f"Party '{party_id}' was not found.", status=404)
    props = generic_properties(body)
    _check_known(props, [n for n, _c, _k in shape_engagement.RISK_PROPS], "AI_RenewalRisk")
    if "PartyId" in props and str(props["PartyId"]) != str(party_id):
        raise WriteError(
            f"PartyId {props['PartyId']!r} in the body does not match {party_id!r} in the URL.",
            [("PartyId", "mismatch")],
        )
    score = props.get("RiskScore")
    score_value = float(_decimal(score, "RiskScore")) if score not in (None, "") else 0.0
    values = {
        "band": _text(props, "RiskBand", limit=20),
        "score": score_value,
        "reasons": _text(props, "TopReasons"),
        "scored_on": _date(props, "ScoredOn"),
        "outreach_on": _date(props, "OutreachTriggeredOn"),
        "model_version": _text(props, "ModelVersion", limit=50),
    }
    risk = assoc.risk
    key = int(party_id)
    row = risk.find(key)
    stamp = assoc.stamp()
    if row is None:
        row = int(risk.append(party_id=key, updated_on=stamp, **values)[0])
        status = 201
    else:
        risk.set(row, updated_on=stamp, **values)
        status = 200
    return status, _serialize(assoc, "ai_renewalrisk", row)


# -- AI_Audit_Log (multi-instance, POST) --------------------------------------------------------
def post_audit(assoc, body) -> tuple[int, bytes]:
    props = generic_properties(body)
    _check_known(props, [n for n, _c, _k in shape_engagement.AUDIT_PROPS], "AI_Audit_Log")
    party = _text(props, "PartyId", limit=10)
    if party:
        _party(assoc, party)
    audit = assoc.audit
    stamp = assoc.stamp()
    created = _date(props, "CreatedOn")
    row = int(
        audit.append(
            seqn=AUDIT_BASE + audit.n,
            party_id=party,
            action=_text(props, "Action", required=True, limit=100),
            actor=_text(props, "Actor", required=True, limit=100),
            review_item_id=_text(props, "ReviewItemId", limit=100),
            summary=_text(props, "Summary"),
            created_on=stamp if np.isnat(created) else created,
            outbox_id=_text(props, "OutboxId", limit=100),
            updated_on=stamp,
        )[0]
    )
    return 201, _serialize(assoc, "ai_audit_log", row)


# -- Activity (POST GenericEntityData) ----------------------------------------------------------
_ACTIVITY_TEXT = {
    "ACTIVITY_TYPE": "type",
    "PRODUCT_CODE": "product_code",
    "DESCRIPTION": "description",
    "SOURCE_CODE": "source_code",
    "MEMBER_TYPE": "member_type",
    "NOTE": "note",
    **{f"UF_{i}": f"uf_{i}" for i in range(1, 8)},
}
_ACTIVITY_DATES = {
    "TRANSACTION_DATE": "tx_date",
    "EFFECTIVE_DATE": "eff_date",
    "THRU_DATE": "thru_date",
}


def post_activity(assoc, body) -> tuple[int, bytes]:
    props = generic_properties(body)
    allowed = [*_ACTIVITY_TEXT, *_ACTIVITY_DATES, "PartyId", "SEQN", "AMOUNT", "UNITS"]
    _check_known(props, allowed, "Activity")
    member = _party(assoc, _text(props, "PartyId", required=True))
    values = {
        col: _text(props, name, required=name == "ACTIVITY_TYPE")
        for name, col in _ACTIVITY_TEXT.items()
    }
    for name, col in _ACTIVITY_DATES.items():
        values[col] = _date(props, name)
    if np.isnat(values["tx_date"]):
        values["tx_date"] = assoc.now.astype("datetime64[D]").astype(DT)
    amount = props.get("AMOUNT")
    units = props.get("UNITS")
    acts = assoc.activities
    row = int(
        acts.append(
            seqn=ACTIVITY_BASE + acts.n,
            party_id=PARTY_BASE + member,
            amount=int((_decimal(amount, "AMOUNT") * 100).to_integral_value())
            if amount not in (None, "")
            else 0,
            units=float(_decimal(units, "UNITS")) if units not in (None, "") else 0.0,
            **values,
        )[0]
    )
    return 201, _serialize(assoc, "activity", row)


# -- PartyNote (POST PartyNoteData) -------------------------------------------------------------
def post_note(assoc, body) -> tuple[int, bytes]:
    if not isinstance(body, dict):
        raise WriteError("Body must be PartyNoteData.")
    _check_known(
        {k: v for k, v in body.items() if k != "$type"},
        ["PartyId", "Purpose", "Text", "PartyNoteId", "UpdateInformation"],
        "PartyNote",
    )
    member = _party(assoc, _text(body, "PartyId", required=True))
    notes = assoc.notes
    stamp = assoc.stamp()
    row = int(
        notes.append(
            note_id=NOTE_BASE + notes.n,
            party_id=PARTY_BASE + member,
            purpose=_text(body, "Purpose", limit=100),
            text=_text(body, "Text", required=True, limit=20000),
            created_on=stamp,
            created_by="API",
            updated_on=stamp,
        )[0]
    )
    return 201, _serialize(assoc, "partynote", row)


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
