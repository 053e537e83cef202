"""Decoding a record's JSON text for its parser, reading only the parts the parser uses.

A GenericEntityData record (Activity, user-defined tables) is mostly ``$type`` names: every
property and every boxed value carries one. Decoding it whole, as orjson does, builds all of
them; these msgspec types skip what the parser never reads. A record whose shape does not fit
them (a property without a name, a boxed value without ``$value``...) is decoded whole instead,
so the parser sees exactly what it would have seen and says what is wrong in the same words.
"""

from collections.abc import Callable

import msgspec
import orjson


class Boxed(msgspec.Struct):
    """``{"$type": "System.Decimal", "$value": 1.5}``: a boxed scalar, without its type name."""

    value: object = msgspec.field(name="$value")


class NamedValue(msgspec.Struct):
    Name: str
    Value: Boxed | list | str | int | float | bool | None = None


class NamedValues(msgspec.Struct):
    """``AdditionalAttributes`` / ``Properties`` as read by contracts.named_values."""

    values: list[NamedValue] = msgspec.field(name="$values")

    def as_dict(self) -> dict:
        return {
            entry.Name: entry.Value.value if type(entry.Value) is Boxed else entry.Value
            for entry in self.values
        }


class _GenericEntity(msgspec.Struct):
    type: object = msgspec.field(name="$type", default=None)
    Identity: object = None
    Properties: NamedValues | None = None


def _generic_entity(decoded: _GenericEntity) -> dict:
    return {"$type": decoded.type, "Identity": decoded.Identity, "Properties": decoded.Properties}


_PARTIAL: dict[str, tuple[msgspec.json.Decoder, Callable]] = {
    "activity": (msgspec.json.Decoder(_GenericEntity), _generic_entity),
    "relationship_owner": (msgspec.json.Decoder(_GenericEntity), _generic_entity),
}


def record_decoder(entity: str) -> Callable[[bytes], dict]:
    """raw JSON text -> the record as its parser reads it (possibly only part of it)."""
    partial = _PARTIAL.get(entity)
    if partial is None:
        return orjson.loads
    decoder, build = partial

    def decode(raw: bytes) -> dict:
        try:
            return build(decoder.decode(raw))
        except msgspec.ValidationError:
            return orjson.loads(raw)

    return decode
