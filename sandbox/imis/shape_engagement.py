"""iMIS shapes of events, groups, communications, notes and GenericEntityData rows."""

from __future__ import annotations

import functools

import numpy as np
import orjson

from .shapes import (
    COMMS,
    EVTS,
    MEMB,
    T_GENERIC,
    T_IDENTITY,
    T_PROP,
    T_PROPS,
    T_STRINGS,
    T,
    boxed,
    collection,
    party_summary,
    prop,
    update_info,
)
from .table import EMPTY_DATE, format_dates


def _fmt(value) -> str:
    return format_dates(np.array([value]))[0]


# -- Events, groups, communications ----------------------------------------------------------
def event_dicts(assoc, idx: np.ndarray) -> list[dict]:
    cols = [
        "event_id",
        "name",
        "start",
        "end",
        "status",
        "location",
        "capacity",
        "category",
        "chapter",
        "price",
    ]
    c = assoc.events.rows(idx, cols)
    return [
        {
            "$type": T(EVTS, "EventData"),
            "EventId": c["event_id"][i],
            "EventCode": c["event_id"][i],
            "Name": c["name"][i],
            "StartDateTime": c["start"][i],
            "EndDateTime": c["end"][i],
            "Status": c["status"][i],
            "Location": {"$type": T(MEMB, "LocationPartyAddressData"), "Name": c["location"][i]},
            "Capacity": c["capacity"][i],
            "Category": {
                "$type": T(EVTS, "EventCategoryData"),
                "EventCategoryId": c["category"][i],
            },
            "AdditionalAttributes": collection(
                T_PROPS,
                [
                    prop("Chapter", c["chapter"][i]),
                    prop("RegistrationFee", boxed("System.Decimal", c["price"][i] / 100)),
                ],
            ),
        }
        for i in range(len(idx))
    ]


def registration_dicts(assoc, idx: np.ndarray) -> list[dict]:
    """[U] attendance: AdditionalAttributes ``Attended`` (System.Boolean); Status by name."""
    c = assoc.registrations.rows(
        idx, ["reg_id", "event", "party_id", "reg_date", "status", "attended", "price"]
    )
    ev = assoc.events
    out = []
    for i in range(len(idx)):
        e = c["event"][i]
        event_id = ev.get(e, "event_id")
        out.append(
            {
                "$type": T(EVTS, "EventRegistrationData"),
                "EventRegistrationId": c["reg_id"][i],
                "EventId": event_id,
                "Event": {
                    "$type": T(EVTS, "EventSummaryData"),
                    "EventId": event_id,
                    "Name": ev.get(e, "name"),
                    "StartDateTime": _fmt(ev.col("start")[e]),
                },
                "Registrant": party_summary(assoc, c["party_id"][i]),
                "RegistrationDate": c["reg_date"][i],
                "Status": c["status"][i],
                "RegisteredByPartyId": "",
                "AdditionalAttributes": collection(
                    T_PROPS,
                    [
                        prop("Attended", boxed("System.Boolean", c["attended"][i])),
                        prop("AmountPaid", boxed("System.Decimal", c["price"][i] / 100)),
                    ],
                ),
            }
        )
    return out


def group_member_dicts(assoc, idx: np.ndarray) -> list[dict]:
    c = assoc.group_members.rows(
        idx,
        ["gm_id", "group", "party_id", "join_date", "is_active", "role", "effective", "expiration"],
    )
    out = []
    for i in range(len(idx)):
        gid, gname, class_id, class_name = assoc.groups[c["group"][i]]
        role = c["role"][i]
        out.append(
            {
                "$type": T(MEMB, "GroupMemberData"),
                "GroupMemberId": c["gm_id"][i],
                "Group": {
                    "$type": T(MEMB, "GroupSummaryData"),
                    "GroupId": gid,
                    "Name": gname,
                    "GroupClass": {
                        "$type": T(MEMB, "GroupClassSummaryData"),
                        "GroupClassId": class_id,
                        "Name": class_name,
                    },
                    "StatusCode": "A",
                },
                "Party": party_summary(assoc, c["party_id"][i]),
                "JoinDate": c["join_date"][i],
                "IsActive": c["is_active"][i],
                "MembershipDetails": collection(
                    T(MEMB, "GroupMemberDetailDataCollection"),
                    [
                        {
                            "$type": T(MEMB, "GroupMemberDetailData"),
                            "EffectiveDate": c["effective"][i],
                            "ExpirationDate": c["expiration"][i],
                            "IsActive": c["is_active"][i],
                            "Role": {
                                "$type": T(MEMB, "GroupRoleData"),
                                "RoleId": role.upper().replace(" ", ""),
                                "Name": role,
                            },
                        }
                    ],
                ),
            }
        )
    return out


def commlog_dicts(assoc, idx: np.ndarray) -> list[dict]:
    """[U] CommunicationLog fields (not in the public lists; see CONTRACT.md)."""
    c = assoc.comm_log.rows(
        idx,
        [
            "log_id",
            "party_id",
            "sent_on",
            "channel",
            "subject",
            "template",
            "status",
            "sent_by",
            "invoice_id",
        ],
    )
    return [
        {
            "$type": T(COMMS, "CommunicationLogData"),
            "CommunicationLogId": str(c["log_id"][i]),
            "PartyId": str(c["party_id"][i]),
            "Recipient": party_summary(assoc, c["party_id"][i]),
            "SentOn": c["sent_on"][i],
            "Channel": c["channel"][i],
            "Subject": c["subject"][i],
            "TemplateName": c["template"][i],
            "Status": c["status"][i],
            "SentBy": c["sent_by"][i],
            "InvoiceId": str(c["invoice_id"][i]) if c["invoice_id"][i] else "",
        }
        for i in range(len(idx))
    ]


def note_dicts(assoc, idx: np.ndarray) -> list[dict]:
    c = assoc.notes.rows(
        idx, ["note_id", "party_id", "purpose", "text", "created_on", "created_by", "updated_on"]
    )
    return [
        {
            "$type": T(MEMB, "PartyNoteData"),
            "PartyNoteId": str(c["note_id"][i]),
            "PartyId": str(c["party_id"][i]),
            "Purpose": c["purpose"][i],
            "Text": c["text"][i],
            "UpdateInformation": update_info(
                c["created_on"][i], c["created_by"][i], c["updated_on"][i], c["created_by"][i]
            ),
        }
        for i in range(len(idx))
    ]


# -- GenericEntityData (Activity and user-defined tables) ------------------------------------
# (property name, column, CLR type) in the order iMIS lists them; None = string, not boxed.
S, I32, DEC, DTM, ID = None, "System.Int32", "System.Decimal", "System.DateTime", "id"
ACTIVITY_PROPS = [
    ("ACTIVITY_TYPE", "type", S),
    ("PartyId", "party_id", ID),
    ("SEQN", "seqn", I32),
    ("TRANSACTION_DATE", "tx_date", DTM),
    ("EFFECTIVE_DATE", "eff_date", DTM),
    ("THRU_DATE", "thru_date", DTM),
    ("PRODUCT_CODE", "product_code", S),
    ("AMOUNT", "amount", "money"),
    ("UNITS", "units", DEC),
    ("DESCRIPTION", "description", S),
    ("SOURCE_CODE", "source_code", S),
    ("MEMBER_TYPE", "member_type", S),
    ("NOTE", "note", S),
    *[(f"UF_{i}", f"uf_{i}", S) for i in range(1, 8)],
]
RISK_PROPS = [
    ("PartyId", "party_id", ID),
    ("RiskBand", "band", S),
    ("RiskScore", "score", DEC),
    ("TopReasons", "reasons", S),
    ("ScoredOn", "scored_on", DTM),
    ("OutreachTriggeredOn", "outreach_on", DTM),
    ("ModelVersion", "model_version", S),
]
AUDIT_PROPS = [
    ("SEQN", "seqn", I32),
    ("PartyId", "party_id", S),
    ("Action", "action", S),
    ("Actor", "actor", S),
    ("ReviewItemId", "review_item_id", S),
    ("Summary", "summary", S),
    ("CreatedOn", "created_on", DTM),
    ("OutboxId", "outbox_id", S),
]
RELATIONSHIP_PROPS = [("PartyId", "party_id", ID), ("StaffUserId", "staff", S), ("Role", "role", S)]


def _js(value) -> str:
    return orjson.dumps(value).decode()


@functools.cache
def _prop_head(name: str) -> str:
    return '{"$type":' + _js(T_PROP) + ',"Name":' + _js(name)


@functools.cache
def _identity_head(entity: str) -> str:
    return (
        '{"$type":'
        + _js(T_IDENTITY)
        + ',"EntityTypeName":'
        + _js(entity)
        + ',"IdentityElements":{"$type":'
        + _js(T_STRINGS)
        + ',"$values":['
    )


def _property(name: str, kind, raw) -> str:
    head = _prop_head(name)
    if kind is S:
        return f'{head},"Value":{_js(raw)}}}' if raw else head + "}"
    if kind == ID:
        return f'{head},"Value":{_js(str(raw))}}}'
    if kind == DTM:
        if raw == EMPTY_DATE:
            return head + "}"
        return f'{head},"Value":{{"$type":"{DTM}","$value":"{raw}"}}}}'
    value = raw / 100 if kind == "money" else raw
    box = DEC if kind == "money" else kind
    return f'{head},"Value":{{"$type":"{box}","$value":{_js(value)}}}}}'


def generic_json(assoc, table, idx, entity, props, key_col, parent, codes=None) -> list[bytes]:
    """GenericEntityData rows (Activity, user-defined tables), encoded from fragments.

    Activity is the largest table a sync reads, so rows are written as text rather than
    built as nested dicts; the JSON is the same. ``codes``: column -> {stored: served} for a
    site that names its codes otherwise (profile b).
    """
    c = table.rows(idx, [col for _n, col, _k in props])
    for col, mapping in (codes or {}).items():
        c[col] = [mapping.get(v, v) for v in c[col]]
    columns = [(name, c[col], kind) for name, col, kind in props]
    keys = c[key_col]
    parents = c["party_id"] if parent == "Party" else None
    head = (
        '{"$type":'
        + _js(T_GENERIC)
        + ',"EntityTypeName":'
        + _js(entity)
        + ',"PrimaryParentEntityTypeName":'
        + _js(parent)
        + ',"Identity":'
        + _identity_head(entity)
    )
    parent_head = ',"PrimaryParentIdentity":' + _identity_head("Party")
    props_head = ',"Properties":{"$type":' + _js(T_PROPS) + ',"$values":['
    out = []
    for i in range(len(idx)):
        parts = [head, _js(str(keys[i])), "]}}"]
        if parents is not None:
            parts += [parent_head, _js(str(parents[i])), "]}}"]
        parts.append(props_head)
        parts.append(",".join(_property(name, kind, col[i]) for name, col, kind in columns))
        parts.append("]}}")
        out.append("".join(parts).encode())
    return out
