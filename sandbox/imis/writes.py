"""The writes the product makes: risk rows, audit rows, activities and notes (subscriptions,
payments and adjustments: ``write_billing``), and the validation every write shares.

Bodies are accepted with or without ``$type`` (REFERENCE.md: ASI samples always send it,
whether iMIS requires it is unknown). Anything invalid raises ``WriteError`` (400) with a
message that names the property to fix; nothing is applied when validation fails.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np

from . import shape_engagement
from .entities import ENTITIES
from .schemas import ACTIVITY_BASE, AUDIT_BASE, NOTE_BASE, PARTY_BASE
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
