"""iMIS JSON conventions shared by every entity: $type names, boxing, money, envelopes, cache.

Conventions (REFERENCE.md section 2.2): every object carries ``$type``; collections are
``{"$type", "$values"}``; scalars inside AdditionalAttributes/Properties are boxed as
``{"$type": "System.Decimal", "$value": ...}`` except strings (and, as in ASI's samples, the
member dates in Party AdditionalAttributes); ids are strings; dates have no offset and an
empty date is ``0001-01-01T00:00:00``; typed money is MonetaryAmountData, Subscription money
is a bare number. Shapes marked [U] (in the shape_* modules) are CONTRACT.md assumptions.
"""

from __future__ import annotations

import re

import numpy as np
import orjson

from .schemas import PARTY_BASE

_A = ", Asi.Contracts"
MEMB = "Asi.Soa.Membership.DataContracts."
COMM = "Asi.Soa.Commerce.DataContracts."
CORE = "Asi.Soa.Core.DataContracts."
EVTS = "Asi.Soa.Events.DataContracts."
COMMS = "Asi.Soa.Communications.DataContracts."


def T(ns: str, cls: str) -> str:
    return f"{ns}{cls}{_A}"


T_PROP = T(CORE, "GenericPropertyData")
T_PROPS = T(CORE, "GenericPropertyDataCollection")
T_GENERIC = T(CORE, "GenericEntityData")
T_IDENTITY = T(CORE, "IdentityData")
T_STRINGS = "System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]], mscorlib"
T_MONEY = T(CORE, "MonetaryAmountData")
PAGED = T(CORE, "PagedResult")
PAGED_GENERIC = "Asi.Soa.Core.DataContracts.PagedResult`1[[" + T_GENERIC + "]]" + _A
PAGED_ITEMS = "System.Collections.Generic.List`1[[System.Object, mscorlib]], mscorlib"
HTTP_ERROR = "System.Web.Http.HttpError, System.Web.Http"
CURRENCY = {"$type": T(CORE, "CurrencyData"), "CurrencyCode": "USD", "DecimalPositions": 2}
STATUS_NAMES = {"A": "Active", "I": "Inactive", "S": "Suspended", "D": "Dropped"}
STATUS_OBJECTS = {
    code: {"$type": T(MEMB, "PartyStatusData"), "PartyStatusId": code, "Name": n, "Description": n}
    for code, n in STATUS_NAMES.items()
}
DUES_CLASS = {"$type": T(COMM, "ItemClassSummaryData"), "ItemClassId": "DUES", "Name": "Dues"}
FINANCIAL_ENTITY = {
    "$type": T(COMM, "FinancialEntityData"),
    "FinancialEntityId": "ASSN",
    "EntityCode": "ASSN",
    "Name": "The Association",
}
_MISSING = object()


def prop(name: str, value=_MISSING) -> dict:
    """GenericPropertyData; an empty property has no Value at all."""
    if value is _MISSING or value == "" or value is None:
        return {"$type": T_PROP, "Name": name}
    return {"$type": T_PROP, "Name": name, "Value": value}


def boxed(type_name: str, value) -> dict:
    return {"$type": type_name, "$value": value}


def money(cents: int) -> dict:
    return {"$type": T_MONEY, "Amount": cents / 100, "Currency": CURRENCY, "IsAmountDefined": True}


def collection(type_name: str, values: list) -> dict:
    return {"$type": type_name, "$values": values}


def identity(entity: str, *elements) -> dict:
    return {
        "$type": T_IDENTITY,
        "EntityTypeName": entity,
        "IdentityElements": collection(T_STRINGS, [str(e) for e in elements]),
    }


def party_summary(assoc, party_id: int) -> dict:
    row = party_id - PARTY_BASE
    return {
        "$type": T(MEMB, "PartySummaryData"),
        "PartyId": str(party_id),
        "Id": str(party_id),
        "Name": assoc.party_name(row) if 0 <= row < assoc.parties.n else "",
    }


def update_info(created: str, created_by: str, updated: str, updated_by: str) -> dict:
    return {
        "$type": T(CORE, "EntityUpdateInformationData"),
        "CreatedBy": created_by,
        "CreatedOn": created,
        "UpdatedBy": updated_by,
        "UpdatedOn": updated,
    }


# -- Errors and envelopes --------------------------------------------------------------------
def http_error(message: str) -> bytes:
    return orjson.dumps({"$type": HTTP_ERROR, "Message": message})


def validation_error(message: str, errors: list[tuple[str, str]]) -> bytes:
    """[U] iMIS validation failure body: a top-level Message plus per-property results."""
    return orjson.dumps(
        {
            "$type": T(CORE, "ValidateResultsData"),
            "Message": f"BadRequest: ValidationError. {message}",
            "IsValid": False,
            "Errors": collection(
                T(CORE, "ValidationResultDataCollection"),
                [
                    {"$type": T(CORE, "ValidationResultData"), "PropertyName": p, "Message": m}
                    for p, m in errors
                ],
            ),
        }
    )


_PAGE_HEAD = {
    generic: (
        b'{"$type":'
        + orjson.dumps(PAGED_GENERIC if generic else PAGED)
        + b',"Items":{"$type":'
        + orjson.dumps(PAGED_ITEMS)
        + b',"$values":['
    )
    for generic in (False, True)
}


def paged(items: list[bytes], offset: int, limit: int, total: int, generic: bool) -> bytes:
    """PagedResult envelope around pre-serialised rows (joined once: pages are megabytes)."""
    count = len(items)
    has_next = offset + count < total
    tail = {
        "Offset": offset,
        "Limit": limit,
        "Count": count,
        "TotalCount": total,
        "NextPageLink": None,
        "HasNext": has_next,
        "NextOffset": offset + count if has_next else 0,
    }
    parts = [_PAGE_HEAD[generic]]
    for i, item in enumerate(items):
        if i:
            parts.append(b",")
        parts.append(item)
    parts.append(b"]}," + orjson.dumps(tail)[1:])
    return b"".join(parts)


# -- Malformed rows (for quarantine tests) ---------------------------------------------------
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def malform(d: dict, kind: str, date_field: str, id_field: str) -> dict:
    """Break one field of a serialised row in the requested way."""
    if kind == "missing_type":
        d.pop("$type", None)
    elif kind == "missing_id":
        d.pop(id_field, None)
        d.pop("Identity", None)
    elif kind == "bad_date":
        _replace_first(d, lambda k, v: k == date_field, "31/02/2024 25:61")
        _replace_first(d, lambda k, v: isinstance(v, str) and _DATE_RE.match(v), "not-a-date")
    elif kind == "bad_number":
        _replace_first(
            d,
            lambda k, v: (
                k in ("Amount", "$value", "BilledAmount")
                and not isinstance(v, str)
                and not isinstance(v, bool)
            ),
            "12,34",
        )
    return d


def _replace_first(node, match, new) -> bool:
    if isinstance(node, dict):
        if node.get("$type") == T_PROP and "Name" in node and "Value" in node:
            value = node["Value"]
            inner = value.get("$value") if isinstance(value, dict) else value
            if match(node["Name"], inner):
                node["Value"] = new
                return True
        for k, v in node.items():
            if not isinstance(v, dict | list) and k != "$type" and match(k, v):
                node[k] = new
                return True
        return any(
            _replace_first(v, match, new) for v in node.values() if isinstance(v, dict | list)
        )
    if isinstance(node, list):
        return any(_replace_first(v, match, new) for v in node)
    return False


def encoded(dict_builder):
    """Wrap a builder of dicts into an encoder of JSON bytes."""

    def encode(assoc, idx):
        return [orjson.dumps(d) for d in dict_builder(assoc, idx)]

    encode.__doc__ = dict_builder.__doc__
    return encode


def serialize_rows(assoc, spec, idx: np.ndarray) -> list[bytes]:
    """JSON bytes of rows ``idx`` of an entity, from the per-row cache where possible."""
    table = assoc.tables[spec.table]
    cache = table.cache
    rows = np.asarray(idx, dtype=np.int64).tolist()
    missing = [r for r in rows if cache[r] is None]
    fresh: dict[int, bytes] = {}
    if missing:
        blobs = spec.serializer(assoc, np.array(missing, dtype=np.int64))
        for r, blob in zip(missing, blobs, strict=True):
            kind = assoc.malformed.get((table.name, r))
            if kind:
                bad = malform(orjson.loads(blob), kind, spec.date_field, spec.id_field)
                fresh[r] = orjson.dumps(bad)
                continue
            table.remember(r, blob)
            if cache[r] is None:
                fresh[r] = blob
    return [cache[r] if cache[r] is not None else fresh[r] for r in rows]
