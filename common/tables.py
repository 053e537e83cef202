"""Sortable, filterable, keyset-paginated tables for pages with many rows.

Keyset pagination (WHERE (sort_key, id) < (last_sort_key, last_id)) costs the same on page 1 and
page 10,000, where OFFSET would scan every skipped row.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    sort: str  # e.g. "-created_at"
    size: int
    has_previous: bool = False
    columns: dict = field(default_factory=dict)


def _encode(value, pk) -> str:
    if isinstance(value, datetime | date):
        value = {"t": value.isoformat()}
    elif isinstance(value, Decimal):
        value = {"d": str(value)}
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sample_type):
    padded = cursor + "=" * (-len(cursor) % 4)
    value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if isinstance(value, dict) and "t" in value:
        value = parse_datetime(value["t"]) if sample_type is datetime else parse_date(value["t"])
    elif isinstance(value, dict) and "d" in value:
        value = Decimal(value["d"])
    return value, pk


def keyset_paginate(
    queryset: QuerySet,
    *,
    sort: str | None,
    allowed: dict[str, str],
    default: str,
    cursor: str | None,
    size: int = 50,
) -> KeysetPage:
    """One page of queryset sorted by an allowed column, then by id, in the same direction.

    ``allowed`` maps the public column name (in ?sort=) to a model field that is never NULL.
    An unknown sort or a damaged cursor falls back to the first page of the default order.
    """
    sort = sort if sort and sort.lstrip("-") in allowed else default
    descending = sort.startswith("-")
    field_name = allowed[sort.lstrip("-")]
    direction = "-" if descending else ""
    queryset = queryset.order_by(f"{direction}{field_name}", f"{direction}pk")
    has_previous = False
    if cursor:
        sample_type = _field_type(queryset, field_name)
        try:
            value, pk = _decode(cursor, sample_type)
        except (ValueError, TypeError, json.JSONDecodeError):
            value = pk = None
        if pk is not None:
            op = "lt" if descending else "gt"
            queryset = queryset.filter(
                Q(**{f"{field_name}__{op}": value}) | Q(**{field_name: value, f"pk__{op}": pk})
            )
            has_previous = True
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(_attr(last, field_name), last.pk)
    return KeysetPage(
        items=rows, next_cursor=next_cursor, sort=sort, size=size, has_previous=has_previous
    )


def _attr(obj, dotted: str):
    for part in dotted.split("__"):
        obj = getattr(obj, part)
    return obj


def _field_type(queryset: QuerySet, dotted: str):
    model = queryset.model
    parts = dotted.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    internal = model._meta.get_field(parts[-1]).get_internal_type()
    if internal == "DateTimeField":
        return datetime
    if internal == "DateField":
        return date
    return None
