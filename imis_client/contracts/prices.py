"""Item prices (``ItemData``): the one place that knows the shapes sites serve them in.

[U] The price fields of ``ItemData`` are not in the public field lists (CONTRACT.md, "dues
products and prices"). Sites serve one of three shapes, read here in this order:

1. ``ItemPrice`` rows (a ``$values`` collection of ``{Price, EffectiveDate}``; ``Amount`` and
   ``StartDate`` are accepted too): every dated price, past, current and future.
2. The legacy product columns ``PRICE_1``, ``FUTURE_PRICE_1`` and ``FUTURE_PRICE_DATE``, at the
   top level or among ``Properties`` / ``AdditionalAttributes``; ``FUTURE_PRICE_1`` of 0 with an
   empty date means no future price.
3. ``TempDefaultPrice`` (ASI's SDK samples): the current price only.

The member type an item bills is ``MemberType`` when present (a code, or an object with
``MemberTypeId``); otherwise the desk's configured mapping (``DUES/<type>``) applies.
"""

from datetime import datetime

import orjson

from imis_client.contracts import (
    Ctx,
    local_date,
    money,
    named_values,
    nested,
    require_type,
    text,
    unbox,
    values,
)

CURRENT, FUTURE, ROW = "current price", "future price", "price list"


def item_price_id_of(record: dict) -> str | None:
    value = record.get("ItemId") or record.get("ItemCode")
    return str(value) if value is not None else None


def _field(record: dict, attrs: dict, name: str):
    return record[name] if name in record else attrs.get(name)


def _price_rows(record: dict, ctx: Ctx) -> list[dict] | None:
    """Shape 1: ItemPrice rows, or None when the record has none."""
    collection = record.get("ItemPrice", record.get("ItemPrices"))
    if collection is None:
        return None
    rows = []
    for n, entry in enumerate(values(collection)):
        if not isinstance(entry, dict):
            ctx.fail(f"ItemPrice[{n}]", "an ItemPriceData object", entry)
        amount = money(ctx, entry.get("Price", entry.get("Amount")), f"ItemPrice[{n}].Price")
        effective = local_date(
            ctx, entry.get("EffectiveDate", entry.get("StartDate")), f"ItemPrice[{n}].EffectiveDate"
        )
        rows.append({"price": amount, "effective": effective, "label": ROW})
    return rows


def _legacy_rows(record: dict, attrs: dict, ctx: Ctx) -> list[dict] | None:
    """Shape 2: PRICE_1 with FUTURE_PRICE_1 from FUTURE_PRICE_DATE, or None."""
    if "PRICE_1" not in record and "PRICE_1" not in attrs:
        return None
    current = money(ctx, _field(record, attrs, "PRICE_1"), "PRICE_1")
    rows: list[dict] = [{"price": current, "effective": None, "label": CURRENT}]
    future = money(ctx, _field(record, attrs, "FUTURE_PRICE_1"), "FUTURE_PRICE_1")
    when = local_date(ctx, _field(record, attrs, "FUTURE_PRICE_DATE"), "FUTURE_PRICE_DATE")
    if when is not None and future is not None:
        rows.append({"price": future, "effective": when, "label": FUTURE})
    return rows


def _schedule(record: dict, attrs: dict, ctx: Ctx) -> tuple[str, list[dict]]:
    rows = _price_rows(record, ctx)
    if rows:
        return "ItemPrice", rows
    rows = _legacy_rows(record, attrs, ctx)
    if rows is not None:
        return "PRICE_1", rows
    current = money(ctx, record.get("TempDefaultPrice"), "TempDefaultPrice")
    return "TempDefaultPrice", [{"price": current, "effective": None, "label": CURRENT}]


def parse_item_price(record: dict, ctx: Ctx) -> dict:
    require_type(ctx, record, ("ItemData", "ItemSummaryData", "GenericEntityData"))
    imis_id = text(ctx, record.get("ItemId") or record.get("ItemCode"), "ItemId")
    if not imis_id:
        ctx.fail("ItemId", "an id", record.get("ItemId"))
    attrs = {
        **named_values(record.get("AdditionalAttributes")),
        **named_values(record.get("Properties")),
    }
    shape, rows = _schedule(record, attrs, ctx)
    dated = sorted((r for r in rows if r["effective"] is not None), key=lambda r: r["effective"])
    undated = [r for r in rows if r["effective"] is None]
    # For display only (the schedule is what prices are looked up in): the price in force
    # today and the next dated one. A row stored unchanged keeps these until it changes.
    today = datetime.now(ctx.tz).date()
    started = [r for r in dated if r["effective"] <= today]
    current = (started[-1:] or undated or dated or [{"price": None}])[0]["price"]
    upcoming = [r for r in dated if r["effective"] > today]
    future = upcoming[0] if upcoming else None
    member_type = unbox(record.get("MemberType"))
    if isinstance(member_type, dict):
        member_type = member_type.get("MemberTypeId") or member_type.get("MemberTypeCode")
    item_class = nested(record, "ItemClass", "ItemClassId") or record.get("ItemClassId")
    schedule = [
        {
            "price": None if r["price"] is None else str(r["price"]),
            "effective": r["effective"].isoformat() if r["effective"] else None,
            "label": r["label"],
        }
        for r in [*undated, *dated]
    ]
    return {
        "imis_id": imis_id,
        "code": text(ctx, record.get("ItemCode") or imis_id, "ItemCode")[:80],
        "name": text(ctx, record.get("Name"), "Name")[:200],
        "item_class": text(ctx, item_class, "ItemClass")[:40],
        "status": text(ctx, record.get("ItemStatus"), "ItemStatus")[:10],
        "member_type": text(ctx, member_type, "MemberType")[:20].upper(),
        "price": current,
        "future_price": future["price"] if future else None,
        "future_date": future["effective"] if future else None,
        "shape": shape,
        # Written by COPY as JSON text into the jsonb column.
        "schedule": orjson.dumps(schedule).decode(),
    }
