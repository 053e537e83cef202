"""The entities the sandbox serves: route name, table, shape, filterable properties, id lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import shape_commerce, shape_engagement, shape_party, shapes
from .profile_b import served_codes
from .schemas import ACTIVITY_BASE, AUDIT_BASE, COMMLOG_BASE, INVOICE_BASE, NOTE_BASE, PAYMENT_BASE
from .table import BOOL, DATE, INT, MONEY, NUM, STR

# A filterable property: (column, kind) or (callable(assoc) -> array, kind) for derived values.
Prop = tuple[str | Callable, str]


@dataclass(frozen=True)
class EntitySpec:
    name: str
    table: str
    serializer: Callable  # (assoc, rows) -> list of JSON bytes
    props: dict[str, Prop]
    find: Callable  # (assoc, id string) -> row or None
    generic: bool = False  # GenericEntityData (PagedResult`1[GenericEntityData])
    date_field: str = ""
    id_field: str = ""
    alias_of: str | None = None
    writable: frozenset[str] = field(default_factory=frozenset)


def _by_base(table: str, base: int):
    def find(assoc, raw: str):
        try:
            row = int(raw) - base
        except ValueError:
            return None
        return row if 0 <= row < assoc.tables[table].n else None

    return find


def _by_key(table: str, as_int: bool = False):
    def find(assoc, raw: str):
        key = raw
        if as_int:
            try:
                key = int(raw)
            except ValueError:
                return None
        return assoc.tables[table].find(key)

    return find


def _party_name(assoc) -> np.ndarray:
    p = assoc.parties
    first, last, org = p.col("first"), p.col("last"), p.col("org_name")
    return np.array(
        [o if o else f"{f} {la}".strip() for f, la, o in zip(first, last, org, strict=True)],
        dtype=object,
    )


def _registration_event(assoc) -> np.ndarray:
    return assoc.events.col("event_id")[assoc.registrations.col("event")]


def _group_field(pos: int):
    def values(assoc) -> np.ndarray:
        lookup = np.array([g[pos] for g in assoc.groups], dtype=object)
        return lookup[assoc.group_members.col("group")]

    return values


def _first_invoice(assoc) -> np.ndarray:
    ids = assoc.payments.col("invoice_ids")
    return np.array([int(s.split()[0]) if s else 0 for s in ids], dtype=np.int64)


def _party_props() -> dict[str, Prop]:
    return {
        "partyid": ("party_id", INT),
        "id": ("party_id", INT),
        "name": (_party_name, STR),
        "firstname": ("first", STR),
        "lastname": ("last", STR),
        "organizationname": ("org_name", STR),
        "email": ("email", STR),
        "status": ("status", STR),
        "partystatusid": ("status", STR),
        "customertypecode": ("ctype", STR),
        "ismember": ("is_member", BOOL),
        "isinactivemember": ("inactive_member", BOOL),
        "isorganization": ("is_org", BOOL),
        "joindate": ("join_date", DATE),
        "paidthrudate": ("paid_thru", DATE),
        "renewedthrudate": ("renewed_thru", DATE),
        "chapter": ("chapter", STR),
        "updatedon": ("updated_on", DATE),
        "createdon": ("created_on", DATE),
        "parentpartyid": ("primary_org", INT),
        "organizationpartyid": ("primary_org", INT),
        "cityname": ("city", STR),
        "city": ("city", STR),
        "postalcode": ("postal", STR),
        "uniformid": ("uniform_id", STR),
    }


def _subscription_props() -> dict[str, Prop]:
    dates = [
        "begindate",
        "billbegin",
        "billthrough",
        "billdate",
        "paidthru",
        "continuoussince",
        "dateadded",
        "lastupdated",
        "cancelledasof",
        "paymentdate",
        "reminderdate",
    ]
    cols = [
        "begin_date",
        "bill_begin",
        "bill_through",
        "bill_date",
        "paid_thru",
        "continuous_since",
        "date_added",
        "last_updated",
        "cancelled_as_of",
        "payment_date",
        "reminder_date",
    ]
    props: dict[str, Prop] = {d: (c, DATE) for d, c in zip(dates, cols, strict=True)}
    props.update(
        {
            "partyid": ("party_id", INT),
            "itemid": ("item", STR),
            "itemcode": ("item", STR),
            "status": ("status", STR),
            "billtopartyid": ("bill_to", INT),
            "invoiceid": ("invoice_id", INT),
            "billedamount": ("billed", MONEY),
            "paymentamount": ("paid", MONEY),
            "balance": ("balance", MONEY),
            "remindercount": ("reminder_count", INT),
            "sourcecode": ("source_code", STR),
        }
    )
    return props


def _generic_props(spec_props) -> dict[str, Prop]:
    kinds = {
        None: STR,
        "id": INT,
        "System.Int32": INT,
        "System.Decimal": NUM,
        "System.DateTime": DATE,
        "money": MONEY,
    }
    return {name.lower(): (col, kinds[kind]) for name, col, kind in spec_props}


def _activity(assoc, idx):
    return shape_engagement.generic_json(
        assoc,
        assoc.activities,
        idx,
        "Activity",
        shape_engagement.ACTIVITY_PROPS,
        "seqn",
        "Party",
        codes=served_codes(assoc),
    )


def _risk(assoc, idx):
    return shape_engagement.generic_json(
        assoc, assoc.risk, idx, "AI_RenewalRisk", shape_engagement.RISK_PROPS, "party_id", "Party"
    )


def _audit(assoc, idx):
    return shape_engagement.generic_json(
        assoc, assoc.audit, idx, "AI_Audit_Log", shape_engagement.AUDIT_PROPS, "seqn", "Standalone"
    )


def _relationship(assoc, idx):
    return shape_engagement.generic_json(
        assoc,
        assoc.relationships,
        idx,
        assoc.relationship_entity,
        shape_engagement.RELATIONSHIP_PROPS,
        "party_id",
        "Party",
    )


def _build() -> dict[str, EntitySpec]:
    activity_props = _generic_props(shape_engagement.ACTIVITY_PROPS)
    activity_props["activitytype"] = activity_props["activity_type"]
    specs = [
        EntitySpec(
            "Party",
            "parties",
            shape_party.party_json,
            _party_props(),
            lambda a, raw: a.party_row(raw),
            date_field="JoinDate",
            id_field="PartyId",
        ),
        EntitySpec(
            "Subscription",
            "subscriptions",
            shapes.encoded(shape_commerce.subscription_dicts),
            _subscription_props(),
            _by_key("subscriptions"),
            date_field="PaidThru",
            id_field="PartyId",
            writable=frozenset({"POST"}),
        ),
        EntitySpec(
            "InvoiceSummary",
            "invoices",
            shapes.encoded(shape_commerce.invoice_dicts),
            {
                "invoiceid": ("invoice_id", INT),
                "invoicenumber": ("invoice_id", INT),
                "invoicedate": ("invoice_date", DATE),
                "duedate": ("due_date", DATE),
                "invoicepurpose": ("purpose", STR),
                "billtopartyid": ("bill_to", INT),
                "billtoparty": ("bill_to", INT),
                "soldtopartyid": ("sold_to", INT),
                "soldtoparty": ("sold_to", INT),
                "partyid": ("sold_to", INT),
                "invoiceamount": ("amount", MONEY),
                "paymentamount": ("paid", MONEY),
                "balance": ("balance", MONEY),
                "description": ("description", STR),
            },
            _by_base("invoices", INVOICE_BASE),
            date_field="InvoiceDate",
            id_field="InvoiceId",
        ),
        EntitySpec(
            "Item",
            "items",
            shapes.encoded(shape_commerce.item_dicts),
            {
                "itemid": ("item_id", STR),
                "itemcode": ("item_id", STR),
                "name": ("name", STR),
                "itemclassid": ("item_class", STR),
            },
            _by_key("items"),
            id_field="ItemId",
        ),
        EntitySpec(
            "Event",
            "events",
            shapes.encoded(shape_engagement.event_dicts),
            {
                "eventid": ("event_id", STR),
                "eventcode": ("event_id", STR),
                "name": ("name", STR),
                "startdatetime": ("start", DATE),
                "enddatetime": ("end", DATE),
                "status": ("status", STR),
                "eventcategoryid": ("category", STR),
                "category": ("category", STR),
            },
            _by_key("events"),
            date_field="StartDateTime",
            id_field="EventId",
        ),
        EntitySpec(
            "EventRegistration",
            "registrations",
            shapes.encoded(shape_engagement.registration_dicts),
            {
                "eventregistrationid": ("reg_id", STR),
                "eventid": (_registration_event, STR),
                "partyid": ("party_id", INT),
                "registrantid": ("party_id", INT),
                "registrationdate": ("reg_date", DATE),
                "status": ("status", STR),
            },
            _by_key("registrations"),
            date_field="RegistrationDate",
            id_field="EventRegistrationId",
        ),
        EntitySpec(
            "Activity",
            "activities",
            _activity,
            activity_props,
            _by_base("activities", ACTIVITY_BASE),
            generic=True,
            date_field="TRANSACTION_DATE",
        ),
        EntitySpec(
            "GroupMember",
            "group_members",
            shapes.encoded(shape_engagement.group_member_dicts),
            {
                "groupmemberid": ("gm_id", STR),
                "groupid": (_group_field(0), STR),
                "groupclassid": (_group_field(2), STR),
                "partyid": ("party_id", INT),
                "joindate": ("join_date", DATE),
                "isactive": ("is_active", BOOL),
            },
            _by_key("group_members"),
            date_field="JoinDate",
            id_field="GroupMemberId",
        ),
        EntitySpec(
            "CommunicationLog",
            "comm_log",
            shapes.encoded(shape_engagement.commlog_dicts),
            {
                "communicationlogid": ("log_id", INT),
                "partyid": ("party_id", INT),
                "senton": ("sent_on", DATE),
                "channel": ("channel", STR),
                "subject": ("subject", STR),
                "status": ("status", STR),
                "templatename": ("template", STR),
                "invoiceid": ("invoice_id", INT),
            },
            _by_base("comm_log", COMMLOG_BASE),
            date_field="SentOn",
            id_field="CommunicationLogId",
        ),
        EntitySpec(
            "Name_RelationshipManager",
            "relationships",
            _relationship,
            _generic_props(shape_engagement.RELATIONSHIP_PROPS),
            _by_key("relationships", True),
            generic=True,
        ),
        EntitySpec(
            "AI_RenewalRisk",
            "risk",
            _risk,
            _generic_props(shape_engagement.RISK_PROPS) | {"updatedon": ("updated_on", DATE)},
            _by_key("risk", True),
            generic=True,
            date_field="ScoredOn",
            writable=frozenset({"PUT"}),
        ),
        EntitySpec(
            "AI_Audit_Log",
            "audit",
            _audit,
            _generic_props(shape_engagement.AUDIT_PROPS) | {"updatedon": ("updated_on", DATE)},
            _by_base("audit", AUDIT_BASE),
            generic=True,
            date_field="CreatedOn",
            writable=frozenset({"POST"}),
        ),
        EntitySpec(
            "PartyNote",
            "notes",
            shapes.encoded(shape_engagement.note_dicts),
            {
                "partynoteid": ("note_id", INT),
                "partyid": ("party_id", INT),
                "purpose": ("purpose", STR),
                "text": ("text", STR),
                "createdon": ("created_on", DATE),
                "updatedon": ("updated_on", DATE),
            },
            _by_base("notes", NOTE_BASE),
            date_field="CreatedOn",
            id_field="PartyNoteId",
            writable=frozenset({"POST"}),
        ),
        EntitySpec(
            "Payment",
            "payments",
            shapes.encoded(shape_commerce.payment_dicts),
            {
                "paymentid": ("payment_id", INT),
                "partyid": ("party_id", INT),
                "payorpartyid": ("party_id", INT),
                "referencenumber": ("reference", STR),
                "paymentdate": ("payment_date", DATE),
                "amount": ("amount", MONEY),
                "invoiceid": (_first_invoice, INT),
                "paymentmethodid": ("method", STR),
                "message": ("message", STR),
            },
            _by_base("payments", PAYMENT_BASE),
            date_field="PaymentDate",
            id_field="PaymentId",
        ),
    ]
    out = {s.name.lower(): s for s in specs}
    activity = out["activity"]
    out["activity"] = EntitySpec(**{**activity.__dict__, "writable": frozenset({"POST"})})
    legacy = out["subscription"]
    out["legacysubscription"] = EntitySpec(
        **{
            **legacy.__dict__,
            "name": "LegacySubscription",
            "alias_of": "subscription",
            "writable": frozenset(),
        }
    )
    return out


ENTITIES: dict[str, EntitySpec] = _build()


def resolve(name: str, relationship_entity: str = "Name_RelationshipManager") -> str | None:
    """Registry key for a route segment (case-insensitive), honouring the configured UD name."""
    key = name.lower()
    if key == relationship_entity.lower():
        return "name_relationshipmanager"
    if key == "name_relationshipmanager" and relationship_entity.lower() != key:
        return None
    return key if key in ENTITIES else None
