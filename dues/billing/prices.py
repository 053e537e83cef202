"""Item prices from the mirror as the calculator's PriceBook: one read of a small table."""

from datetime import date
from decimal import Decimal

from dues.billing.calculator import PriceBook, PriceRow
from imis_client.models import ImisItemPrice


def price_book() -> PriceBook:
    """Every live dues, chapter and subscription item with its dated prices, and which member
    type each dues item bills (``MemberType``; the policy's mapping covers the rest)."""
    rows: dict[str, tuple[PriceRow, ...]] = {}
    member_items: dict[str, str] = {}
    names: dict[str, str] = {}
    classes: dict[str, str] = {}
    items = ImisItemPrice.objects.filter(deleted_at__isnull=True).values_list(
        "code", "name", "member_type", "item_class", "schedule"
    )
    for code, name, member_type, item_class, schedule in items:
        rows[code] = tuple(
            PriceRow(
                Decimal(entry["price"]) if entry.get("price") is not None else None,
                date.fromisoformat(entry["effective"]) if entry.get("effective") else None,
                entry.get("label") or "price",
            )
            for entry in schedule or []
        )
        names[code] = name
        classes[code] = item_class
        if member_type:
            member_items.setdefault(member_type, code)
    return PriceBook(rows=rows, member_items=member_items, names=names, classes=classes)
