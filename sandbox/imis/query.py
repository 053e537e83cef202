"""iMIS list queries: ``?Prop=op:value`` filters, ``OrderBy``, ``limit``/``offset`` paging."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import numpy as np

from .table import BOOL, DATE, DT, INT, MONEY, NAT, NUM, STR


class QueryError(ValueError):
    """A malformed list request (answered with 400)."""


# Operator names and aliases (REFERENCE.md section 2.4), matched case-insensitively.
OPS = {
    "eq": "eq",
    "equal": "eq",
    "==": "eq",
    "ne": "ne",
    "notequal": "ne",
    "!=": "ne",
    "gt": "gt",
    "greaterthan": "gt",
    ">": "gt",
    "ge": "ge",
    "greaterthanorequal": "ge",
    ">=": "ge",
    "lt": "lt",
    "lessthan": "lt",
    "<": "lt",
    "le": "le",
    "lessthanorequal": "le",
    "<=": "le",
    "contains": "contains",
    "notcontain": "notcontain",
    "!contain": "notcontain",
    "startswith": "startswith",
    "endswith": "endswith",
    "in": "in",
    "between": "between",
    "isempty": "isempty",
    "empty": "isempty",
    "notempty": "notempty",
    "!empty": "notempty",
    "istrue": "istrue",
    "true": "istrue",
    "isfalse": "isfalse",
    "false": "isfalse",
}
RESERVED = {"limit", "offset", "orderby"}


@dataclass(frozen=True)
class Filter:
    prop: str
    op: str
    value: str


@dataclass(frozen=True)
class Query:
    filters: tuple[Filter, ...]
    order: tuple[str, bool] | None  # (property, descending)
    limit: int
    offset: int

    def cache_key(self) -> tuple:
        return (tuple(sorted((f.prop.lower(), f.op, f.value) for f in self.filters)), self.order)


def parse_filter(prop: str, raw: str) -> Filter:
    """``op:value`` with a known op, else a bare value meaning equality."""
    op, sep, rest = raw.partition(":")
    if sep and op.lower() in OPS:
        return Filter(prop, OPS[op.lower()], rest)
    return Filter(prop, "eq", raw)


def parse_query(pairs: list[tuple[str, str]], default_limit: int, max_limit: int) -> Query:
    filters, order, limit, offset = [], None, default_limit, 0
    for key, value in pairs:
        low = key.lower()
        if low == "limit":
            limit = _int(value, "limit")
            if limit < 0:
                raise QueryError("limit must not be negative.")
            limit = default_limit if limit == 0 else min(limit, max_limit)
        elif low == "offset":
            offset = _int(value, "offset")
            if offset < 0:
                raise QueryError("offset must not be negative.")
        elif low == "orderby":
            prop, _, direction = value.partition(":")
            direction = direction.strip().lower()
            if direction not in ("", "descending", "desc", "ascending", "asc"):
                raise QueryError(f"OrderBy direction {direction!r} is not Ascending/Descending.")
            order = (prop.strip(), direction in ("descending", "desc"))
        else:
            filters.append(parse_filter(key, value))
    return Query(tuple(filters), order, limit, offset)


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {value!r}.") from None


def parse_datetime(value: str, site_offset_minutes: int) -> np.datetime64:
    """ISO date/time; an explicit offset is converted to site-local time, none means local."""
    text = value.strip()
    if text.startswith("0001-01-01"):
        return NAT
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{value!r} is not a valid date.") from None
    if parsed.tzinfo is not None:
        parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)
        parsed += timedelta(minutes=site_offset_minutes)
    return np.datetime64(parsed, "ms")


def _operand(kind: str, value: str, prop: str, site_offset: int):
    try:
        if kind == INT:
            return int(value)
        if kind == MONEY:
            return int((Decimal(value) * 100).to_integral_value())
        if kind == NUM:
            return float(value)
        if kind == BOOL:
            low = value.strip().lower()
            if low not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return low in ("true", "1")
        if kind == DATE:
            return parse_datetime(value, site_offset)
    except (ValueError, InvalidOperation):
        raise QueryError(f"{value!r} is not a valid value for {prop}.") from None
    return value.lower()


def _lower(values: np.ndarray) -> np.ndarray:
    return np.array([v.lower() for v in values.tolist()], dtype=object)


def _as_text(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == STR:
        return _lower(values)
    return np.array([str(v).lower() for v in values.tolist()], dtype=object)


def _compare(values: np.ndarray, kind: str, f: Filter, site_offset: int) -> np.ndarray:
    op = f.op
    if op in ("istrue", "isfalse"):
        if kind != BOOL:
            raise QueryError(f"{op} needs a true/false property; {f.prop} is not one.")
        return values if op == "istrue" else ~values
    if op in ("isempty", "notempty"):
        if kind == STR:
            empty = values == ""
        elif kind == DATE:
            empty = np.isnat(values)
        elif kind == INT:
            empty = values == 0
        else:
            empty = np.zeros(len(values), dtype=bool)
        return empty if op == "isempty" else ~empty
    if op in ("contains", "notcontain", "startswith", "endswith"):
        text = _as_text(values, kind)
        needle = f.value.lower()
        if op == "startswith":
            return np.array([t.startswith(needle) for t in text], dtype=bool)
        if op == "endswith":
            return np.array([t.endswith(needle) for t in text], dtype=bool)
        hit = np.array([needle in t for t in text], dtype=bool)
        return hit if op == "contains" else ~hit
    base = _lower(values) if kind == STR else values
    if op == "in":
        wanted = [_operand(kind, v, f.prop, site_offset) for v in f.value.split("|")]
        if kind == DATE:
            hit = np.isin(base, np.array([w for w in wanted if not np.isnat(w)], dtype=DT))
            return hit | (np.isnat(base) if any(np.isnat(w) for w in wanted) else False)
        return np.isin(base, np.array(wanted, dtype=base.dtype))
    if op == "between":
        parts = f.value.split("|")
        if len(parts) != 2:
            raise QueryError(f"between needs two values as between:low|high, got {f.value!r}.")
        low, high = (_operand(kind, v, f.prop, site_offset) for v in parts)
        return (base >= low) & (base <= high)
    operand = _operand(kind, f.value, f.prop, site_offset)
    if kind == DATE and np.isnat(operand):
        empty = np.isnat(base)
        if op == "eq":
            return empty
        if op == "ne":
            return ~empty
        raise QueryError(f"{f.value!r} (an empty date) cannot be compared with {op}.")
    result = {
        "eq": lambda: base == operand,
        "ne": lambda: base != operand,
        "gt": lambda: base > operand,
        "ge": lambda: base >= operand,
        "lt": lambda: base < operand,
        "le": lambda: base <= operand,
    }[op]()
    return np.asarray(result, dtype=bool)


def column(assoc, spec, prop: str) -> tuple[np.ndarray, str]:
    entry = spec.props.get(prop.lower())
    if entry is None:
        raise QueryError(f"'{prop}' is not a valid property of {spec.name}.")
    source, kind = entry
    table = assoc.tables[spec.table]
    values = source(assoc) if callable(source) else table.col(source)
    return values, kind


def select(assoc, spec, query: Query) -> np.ndarray:
    """Row indices matching the query's filters, in its order (default: id order)."""
    table = assoc.tables[spec.table]
    mask = np.ones(table.n, dtype=bool)
    site_offset = assoc.site_utc_offset_minutes
    for f in query.filters:
        values, kind = column(assoc, spec, f.prop)
        mask &= _compare(values, kind, f, site_offset)
    idx = np.flatnonzero(mask)
    if query.order is None or len(idx) == 0:
        return idx
    prop, descending = query.order
    values, kind = column(assoc, spec, prop)
    keys = values[idx]
    if kind == STR:
        keys = _lower(keys)
    if descending:
        _, rank = np.unique(keys, return_inverse=True)
        return idx[np.argsort(-rank.reshape(-1), kind="stable")]
    return idx[np.argsort(keys, kind="stable")]


class QueryCache:
    """Recent query results keyed by the table version, so paging a big filter is cheap."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
