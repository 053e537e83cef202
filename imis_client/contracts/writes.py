"""Bodies of the writes the product sends to iMIS (CONTRACT.md, Write), in iMIS's wire shapes.

Each builder returns (method, path, body, readback_path, readback_params): how to send the write
and how to find it again by our reference after an ambiguous failure. [U] shapes are assumptions
that CONTRACT.md fixes until a live site says otherwise.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

GENERIC = "Asi.Soa.Core.DataContracts.GenericEntityData, Asi.Contracts"
PROPERTY = "Asi.Soa.Core.DataContracts.GenericPropertyData, Asi.Contracts"
PROPERTIES = "Asi.Soa.Core.DataContracts.GenericPropertyDataCollection, Asi.Contracts"
IDENTITY = "Asi.Soa.Core.DataContracts.IdentityData, Asi.Contracts"
STRINGS = "System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]], mscorlib"


def _box(value):
    if isinstance(value, bool):
        return {"$type": "System.Boolean", "$value": value}
    if isinstance(value, int):
        return {"$type": "System.Int32", "$value": value}
    if isinstance(value, Decimal):
        return {"$type": "System.Decimal", "$value": float(value)}
    if isinstance(value, datetime):
        return {"$type": "System.DateTime", "$value": wire_datetime(value)}
    return "" if value is None else str(value)


def wire_datetime(moment: datetime) -> str:
    """iMIS form: site-local time without an offset (the caller passes a site-local time)."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def generic_entity(
    entity: str,
    properties: dict,
    *,
    parent_party: str | None = None,
    identity: list[str] | None = None,
) -> dict:
    body: dict[str, Any] = {
        "$type": GENERIC,
        "EntityTypeName": entity,
        "PrimaryParentEntityTypeName": "Party" if parent_party else "Standalone",
        "Properties": {
            "$type": PROPERTIES,
            "$values": [
                {"$type": PROPERTY, "Name": name, "Value": _box(value)}
                for name, value in properties.items()
            ],
        },
    }
    if identity:
        body["Identity"] = {
            "$type": IDENTITY,
            "EntityTypeName": entity,
            "IdentityElements": {"$type": STRINGS, "$values": identity},
        }
    if parent_party:
        body["PrimaryParentIdentity"] = {
            "$type": IDENTITY,
            "EntityTypeName": "Party",
            "IdentityElements": {"$type": STRINGS, "$values": [parent_party]},
        }
    return body


def renewal_risk(
    *,
    party_id: str,
    band: str,
    score: Decimal,
    reasons: str,
    scored_on: datetime,
    outreach_on: datetime | None,
    model_version: str,
):
    """PUT of the full single-instance row: idempotent by nature, no read-back needed."""
    body = generic_entity(
        "AI_RenewalRisk",
        {
            "PartyId": party_id,
            "RiskBand": band,
            "RiskScore": score,
            "TopReasons": reasons[:2000],
            "ScoredOn": scored_on,
            "OutreachTriggeredOn": outreach_on,
            "ModelVersion": model_version,
        },
        parent_party=party_id,
        identity=[party_id],
    )
    return "PUT", f"/api/AI_RenewalRisk/{party_id}", body, "", {}


def audit_log(
    *,
    reference: str,
    action: str,
    actor: str,
    review_item_id: str,
    summary: str,
    created_on: datetime,
    party_id: str = "",
):
    body = generic_entity(
        "AI_Audit_Log",
        {
            "PartyId": party_id,
            "Action": action[:100],
            "Actor": actor[:100],
            "ReviewItemId": review_item_id,
            "Summary": summary[:2000],
            "CreatedOn": created_on,
            "OutboxId": reference,
        },
        parent_party=party_id or None,
    )
    return "POST", "/api/AI_Audit_Log", body, "/api/AI_Audit_Log", {"OutboxId": f"eq:{reference}"}


def activity(
    *,
    reference: str,
    party_id: str,
    activity_type: str,
    subject: str,
    summary: str,
    transaction_date: datetime,
):
    """A communication logged as an Activity; our reference rides in SOURCE_CODE [U]."""
    body = generic_entity(
        "Activity",
        {
            "PartyId": party_id,
            "ACTIVITY_TYPE": activity_type,
            "TRANSACTION_DATE": transaction_date,
            "DESCRIPTION": subject[:255],
            "NOTE": summary[:2000],
            "SOURCE_CODE": reference,
        },
        parent_party=party_id,
    )
    return "POST", "/api/Activity", body, "/api/Activity", {"SOURCE_CODE": f"eq:{reference}"}


def party_note(*, reference: str, party_id: str, text: str, purpose: str = "AI"):
    """[U] PartyNoteData; our reference is the note's first line so it can be found again."""
    body = {
        "$type": "Asi.Soa.Membership.DataContracts.PartyNoteData, Asi.Contracts",
        "PartyId": party_id,
        "Purpose": purpose,
        "Text": f"[{reference}] {text}",
    }
    return "POST", "/api/PartyNote", body, "/api/PartyNote", {"Text": f"startsWith:[{reference}]"}


def combo_order_payment(
    *,
    reference: str,
    payer_party_id: str,
    amount: Decimal,
    method_id: str,
    invoices: list[tuple[str, Decimal]],
    message: str = "",
):
    """[U] exact body: pay existing invoices with one remittance carrying our reference."""
    commerce = "Asi.Soa.Commerce.DataContracts"
    body = {
        "$type": f"{commerce}.ComboOrderData, Asi.Contracts",
        "Currency": {"$type": f"{commerce}.CurrencyData, Asi.Contracts", "CurrencyCode": "USD"},
        "Invoices": {
            "$type": f"{commerce}.InvoiceSummaryDataCollection, Asi.Contracts",
            "$values": [
                {
                    "$type": f"{commerce}.InvoiceSummaryData, Asi.Contracts",
                    "InvoiceId": invoice_id,
                    "Balance": {"Amount": float(applied), "Currency": {"CurrencyCode": "USD"}},
                }
                for invoice_id, applied in invoices
            ],
        },
        "Payments": {
            "$type": f"{commerce}.RemittanceDataCollection, Asi.Contracts",
            "$values": [
                {
                    "$type": f"{commerce}.RemittanceData, Asi.Contracts",
                    "PayorParty": {"PartyId": payer_party_id},
                    "Amount": {"Amount": float(amount), "Currency": {"CurrencyCode": "USD"}},
                    "PaymentMethod": {"PaymentMethodId": method_id},
                    "ReferenceNumber": reference,
                    "Message": message[:255],
                }
            ],
        },
    }
    return "POST", "/api/ComboOrder", body, "/api/Payment", {"ReferenceNumber": f"eq:{reference}"}


EXECUTE = "Asi.Soa.Core.DataContracts.GenericExecuteRequest, Asi.Contracts"
OBJECTS = "System.Collections.ObjectModel.Collection`1[[System.Object, mscorlib]], mscorlib"


def cash_adjustment(*, memo_reference: str, invoice_id: str, amount: Decimal, reason: str):
    """[U] exact body: ``ProcessCashAdjustment`` on one invoice through ``Invoice/_execute``: a
    credit memo negative, a debit adjustment positive. ``ReferenceNumber`` is the memo's own
    reference (what finance sees in iMIS); the site appends it to the invoice's Note, so a
    read-back of the invoice finds it there before any retry."""
    body = {
        "$type": EXECUTE,
        "OperationName": "ProcessCashAdjustment",
        "Parameters": {
            "$type": OBJECTS,
            "$values": [str(invoice_id), _box(Decimal(amount)), reason[:255], memo_reference],
        },
    }
    readback = f"/api/InvoiceSummary/{invoice_id}"
    return "POST", "/api/Invoice/_execute", body, readback, {"$contains": {"Note": memo_reference}}


def subscription_create(
    *,
    reference: str,
    party_id: str,
    item_id: str,
    bill_begin: date,
    bill_through: date,
    amount: Decimal,
    member_component: bool,
    source_code: str = "",
):
    """A new member's billing line (CONTRACT.md, REFERENCE.md §3): ``SourceCode`` carries our
    reference, so a retry reads the member's lines back and finds it before posting again."""
    code = source_code or reference
    body = {
        "$type": "Asi.Soa.Commerce.DataContracts.SubscriptionData, Asi.Contracts",
        "PartyId": party_id,
        "ItemId": item_id,
        "BeginDate": bill_begin.isoformat(),
        "BillBegin": bill_begin.isoformat(),
        "BillThrough": bill_through.isoformat(),
        "IsMemberComponent": member_component,
        "BillSubscription": True,
        "BilledAmount": float(Decimal(amount)),  # a plain number, as ComboOrder sends amounts
        "SourceCode": code,
    }
    readback = {"PartyId": f"eq:{party_id}", "SourceCode": f"eq:{code}"}
    return "POST", "/api/Subscription", body, "/api/Subscription", readback
