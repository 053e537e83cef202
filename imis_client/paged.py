"""iMIS's PagedResult envelope (``Items.$values``, Offset, Limit, TotalCount, HasNext, NextOffset)
read into a ``Page``: from decoded JSON, or from the raw body with each record left as its text."""

from dataclasses import dataclass

import msgspec

from imis_client.errors import ImisError


@dataclass
class Page:
    items: list  # decoded records (dicts), or each one's JSON text (bytes) if fetched raw
    offset: int
    limit: int
    total: int | None
    has_next: bool
    next_offset: int | None


def parse_paged(body, entity: str) -> Page:
    """A PagedResult (``Items.$values``, Offset, Limit, TotalCount, HasNext, NextOffset)."""
    if not isinstance(body, dict) or "Items" not in body:
        raise ImisError(f"iMIS answered the {entity} list without a PagedResult: {str(body)[:200]}")
    items = body["Items"]
    values = items.get("$values") if isinstance(items, dict) else items
    if not isinstance(values, list):
        raise ImisError(f"iMIS answered the {entity} list with Items that hold no $values")
    return _page(body, values)


class _RawValues(msgspec.Struct):
    values: list[msgspec.Raw] = msgspec.field(name="$values")


class _RawPagedResult(msgspec.Struct):
    """The envelope of a list, each item left as the text iMIS sent (msgspec skips over it)."""

    Items: _RawValues | list[msgspec.Raw] | None = None
    Offset: object = None
    Limit: object = None
    TotalCount: object = None
    HasNext: object = None
    NextOffset: object = None


_RAW_PAGED = msgspec.json.Decoder(_RawPagedResult)


def parse_paged_raw(body: bytes, entity: str, path: str) -> Page:
    """parse_paged for a body not decoded yet: the items are each record's JSON text (bytes)."""
    try:
        envelope = _RAW_PAGED.decode(body)
    except msgspec.ValidationError as exc:
        if "$values" in str(exc):
            raise ImisError(
                f"iMIS answered the {entity} list with Items that hold no $values"
            ) from exc
        raise ImisError(
            f"iMIS answered the {entity} list without a PagedResult: {body[:200]!r}"
        ) from exc
    except msgspec.DecodeError as exc:
        raise ImisError(
            f"iMIS answered GET {path} with something that is not JSON: {body[:200]!r}"
        ) from exc
    items = envelope.Items
    if items is None:
        raise ImisError(f"iMIS answered the {entity} list without a PagedResult: {body[:200]!r}")
    values = items if isinstance(items, list) else items.values
    fields = {name: getattr(envelope, name) for name in _RawPagedResult.__struct_fields__}
    return _page(fields, [bytes(value) for value in values])


def _page(body: dict, values: list) -> Page:
    has_next = bool(body.get("HasNext"))
    next_offset = body.get("NextOffset")
    offset = int(body.get("Offset") or 0)
    limit = int(body.get("Limit") or len(values) or 0)
    if has_next and not next_offset:
        next_offset = offset + len(values)
    total = body.get("TotalCount")
    return Page(
        items=values,
        offset=offset,
        limit=limit,
        total=int(total) if total is not None else None,
        has_next=has_next and bool(values),
        next_offset=int(next_offset) if next_offset else None,
    )
