"""iMIS JSON → typed values and records: the one place that knows iMIS's wire shapes.

iMIS (Json.NET) wraps lists as ``{"$type", "$values"}``, boxes scalars in untyped slots as
``{"$type": "System.Decimal", "$value": 1.5}``, sends dates without an offset in the site's local
time, uses ``0001-01-01T00:00:00`` for "no date", and sends money either as a bare number or as
``MonetaryAmountData {Amount, Currency}``. Shapes marked [U] in ../shared/imis/REFERENCE.md are
our assumption; they are labelled "[U]" here so they are easy to correct against a live site.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from imis_client.contracts.wire import NamedValues

EMPTY_DATE_PREFIX = "0001-01-01"
CENT = Decimal("0.01")


class ContractError(ValueError):
    """A record that does not parse: names the entity, id, field and what was expected."""

    def __init__(self, entity: str, record_id: str | None, field: str, expected: str, got) -> None:
        self.entity = entity
        self.record_id = record_id
        self.field = field
        self.expected = expected
        self.got = got
        shown = repr(got)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(
            f"{entity} {record_id or '(no id)'}: field {field} should be {expected}, got {shown}"
        )

    def __reduce__(self):
        return ContractError, (self.entity, self.record_id, self.field, self.expected, self.got)


@dataclass
class Ctx:
    """What a parser needs to know about the record it is reading, for its error messages."""

    entity: str
    record_id: str | None
    tz: ZoneInfo
    # A record whose id is read only if it fails (a sync reads millions that do not).
    record: object = None
    id_of: Callable[[dict], str | None] | None = None

    def identify(self) -> str | None:
        """The record's id: as given, else read from the record."""
        if self.record_id is None and self.id_of is not None and isinstance(self.record, dict):
            self.record_id = self.id_of(self.record)
        return self.record_id

    def fail(self, field: str, expected: str, got) -> NoReturn:
        raise ContractError(self.entity, self.identify(), field, expected, got)


def values(obj) -> list:
    """The items of a ``$values`` collection (or of a plain list); [] for null."""
    if obj is None:
        return []
    if isinstance(obj, dict):
        inner = obj.get("$values")
        return inner if isinstance(inner, list) else []
    if isinstance(obj, list):
        return obj
    return []


def unbox(value):
    """A boxed scalar's value; anything else as it is."""
    if isinstance(value, dict) and "$value" in value:
        return value["$value"]
    return value


def named_values(collection) -> dict:
    """``AdditionalAttributes`` / ``Properties`` (lists of {Name, Value}) as a name → value dict.

    An absent Value (iMIS omits it for empty properties) maps to None.
    """
    if type(collection) is NamedValues:  # decoded by contracts.wire, already in this form
        return collection.as_dict()
    result = {}
    for entry in values(collection):
        if isinstance(entry, dict) and "Name" in entry:
            value = entry.get("Value")
            if isinstance(value, dict) and "$value" in value:  # unbox(), inlined: ~30 per row
                value = value["$value"]
            result[entry["Name"]] = value
    return result


def text(ctx: Ctx, value, field: str, *, max_length: int | None = None) -> str:
    """A string or number as trimmed text. NUL characters (JSON may carry ``\\u0000``, and
    PostgreSQL cannot store them in text) are left out, rather than failing the row's batch."""
    if type(value) is str:  # the usual case, first: a sync reads tens of millions of these
        out = value.strip()
        if "\x00" in out:
            out = out.replace("\x00", "").strip()
        return out[:max_length] if max_length else out
    value = unbox(value)
    if value is None:
        return ""
    if isinstance(value, str | int) and not isinstance(value, bool):
        out = str(value).replace("\x00", "").strip()
        return out[:max_length] if max_length else out
    ctx.fail(field, "text", value)


def boolean(ctx: Ctx, value, field: str) -> bool | None:
    value = unbox(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    ctx.fail(field, "true or false", value)


def integer(ctx: Ctx, value, field: str) -> int | None:
    value = unbox(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        ctx.fail(field, "a whole number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    ctx.fail(field, "a whole number", value)


class _Memo(dict):
    """Conversions already made, by input: dates and amounts repeat across a sync's millions of
    records (most are whole days), and attaching a time zone to a datetime costs ~1 µs.
    Emptied when full, so it never holds more than a few megabytes."""

    LIMIT = 50_000

    def keep(self, key, value):
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value


_DATETIMES = _Memo()  # (text, zone) -> aware datetime
_DATES = _Memo()  # (text, zone) -> date
_AMOUNTS = _Memo()  # float -> Decimal to the cent
_SHORT_TYPES = _Memo()  # "$type" -> its short class name


def local_datetime(ctx: Ctx, value, field: str) -> datetime | None:
    """An offset-less iMIS timestamp, read in the site's time zone; None for 0001-01-01."""
    if type(value) is str:
        known = _DATETIMES.get((value, ctx.tz))
        if known is not None:
            return known
    value = unbox(value)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        ctx.fail(field, "a date-time like 2024-05-31T00:00:00", value)
    if value.startswith(EMPTY_DATE_PREFIX):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        ctx.fail(field, "a date-time like 2024-05-31T00:00:00", value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.tz)
    return _DATETIMES.keep((value, ctx.tz), parsed)


def local_date(ctx: Ctx, value, field: str) -> date | None:
    if type(value) is str:
        known = _DATES.get((value, ctx.tz))
        if known is not None:
            return known
    moment = local_datetime(ctx, value, field)
    if moment is None:
        return None
    day = moment.astimezone(ctx.tz).date()
    if type(value) is str:
        _DATES.keep((value, ctx.tz), day)
    return day


def money(ctx: Ctx, value, field: str) -> Decimal | None:
    """A bare number, a boxed decimal, or MonetaryAmountData, as a Decimal.

    Bodies are decoded with orjson for speed, so amounts arrive as floats; repr() of a float is
    the shortest text that reads back to it, which is the decimal iMIS sent (it sends at most a
    few decimal places), so Decimal(repr(x)) recovers the exact amount.
    """
    if type(value) is float and value:  # the usual case first; not 0.0, also read as -0.0
        known = _AMOUNTS.get(value)
        if known is not None:
            return known
    value = unbox(value)
    if isinstance(value, dict):
        if "Amount" not in value:
            ctx.fail(field, "an amount or MonetaryAmountData", value)
        value = unbox(value.get("Amount"))
    if type(value) is float and value:
        known = _AMOUNTS.get(value)
        if known is not None:
            return known
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        ctx.fail(field, "an amount", value)
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, int | str | Decimal):
            amount = Decimal(str(value).strip())
        else:
            ctx.fail(field, "an amount", value)
    except InvalidOperation:
        ctx.fail(field, "an amount", value)
    if not amount.is_finite():
        ctx.fail(field, "an amount", value)
    amount = amount.quantize(CENT)
    if type(value) is float and value:
        _AMOUNTS.keep(value, amount)
    return amount


def nested(obj: Any, *path: str):
    """obj[path[0]][path[1]]... with None for any missing step."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def require_type(ctx: Ctx, obj, allowed: tuple[str, ...]) -> str:
    """The short class name of a ``$type`` ("PersonData"); absent types are accepted."""
    if not isinstance(obj, dict):
        ctx.fail("$type", "an object", obj)
    full = obj.get("$type")
    if full is None:
        return ""
    if not isinstance(full, str):
        ctx.fail("$type", "a type name", full)
    short = _SHORT_TYPES.get(full)
    if short is None:
        short = _SHORT_TYPES.keep(full, full.split(",")[0].rsplit(".", 1)[-1])
    if allowed and short not in allowed:
        ctx.fail("$type", " or ".join(allowed), full)
    return short
