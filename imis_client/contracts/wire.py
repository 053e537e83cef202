"""Decoding a record's JSON text for its parser, reading only the parts the parser uses.

A GenericEntityData record (Activity, user-defined tables) is mostly ``$type`` names: every
property and every boxed value carries one. Decoding it whole, as orjson does, builds all of
them; these msgspec types skip what the parser never reads. Parties and invoices are decoded
into typed structs of the fields their parsers read (alternate ids, currencies, the amounts'
``$type`` names... are skipped over, not built). A record whose shape does not fit them (a
property without a name, a boxed value without ``$value``...) is decoded whole instead, so the
parser sees exactly what it would have seen and says what is wrong in the same words.

The types are left out of the cyclic garbage collector (``gc=False``): decoded JSON holds no
cycles, and a page makes tens of thousands of them.
"""

from collections.abc import Callable

import msgspec
import orjson


class Boxed(msgspec.Struct, gc=False):
    """``{"$type": "System.Decimal", "$value": 1.5}``: a boxed scalar, without its type name."""

    value: object = msgspec.field(name="$value")


class NamedValue(msgspec.Struct, gc=False):
    Name: str
    Value: Boxed | list | str | int | float | bool | None = None


class NamedValues(msgspec.Struct, gc=False):
    """``AdditionalAttributes`` / ``Properties`` as read by contracts.named_values."""

    values: list[NamedValue] = msgspec.field(name="$values")

    def as_dict(self) -> dict:
        return {
            entry.Name: entry.Value.value if type(entry.Value) is Boxed else entry.Value
            for entry in self.values
        }


class _GenericEntity(msgspec.Struct, gc=False):
    type: object = msgspec.field(name="$type", default=None)
    Identity: object = None
    Properties: NamedValues | None = None


def _generic_entity(decoded: _GenericEntity) -> dict:
    return {"$type": decoded.type, "Identity": decoded.Identity, "Properties": decoded.Properties}


class _Misfit(Exception):
    """A part decoded into a shape the parser must see whole (to say what is wrong with it)."""


class _Amount(msgspec.Struct, gc=False):
    """``MonetaryAmountData {Amount, Currency...}`` or a boxed decimal ``{"$value": ...}``."""

    Amount: object = msgspec.UNSET
    value: object = msgspec.field(name="$value", default=msgspec.UNSET)


def _amount(value):
    if type(value) is not _Amount:
        return value
    if value.Amount is not msgspec.UNSET and value.value is msgspec.UNSET:
        return {"Amount": value.Amount}
    if value.value is not msgspec.UNSET and value.Amount is msgspec.UNSET:
        return {"$value": value.value}
    raise _Misfit


AmountLike = _Amount | float | int | str | None


class _PartyRef(msgspec.Struct, gc=False):
    PartyId: object = None
    Name: object = None


class _Invoice(msgspec.Struct, gc=False):
    """What parsers.parse_invoice reads of ``InvoiceSummaryData`` (and the sync's stamp)."""

    type: object = msgspec.field(name="$type", default=None)
    InvoiceId: object = None
    InvoiceNumber: object = None
    InvoiceDate: object = None
    DueDate: object = None
    InvoicePurpose: object = None
    AccountingMethod: object = None
    BillToParty: _PartyRef | None = None
    SoldToParty: _PartyRef | None = None
    InvoiceAmount: AmountLike = None
    AdjustmentAmount: AmountLike = None
    PaymentAmount: AmountLike = None
    Balance: AmountLike = None
    Description: object = None
    AutoPayInstructionId: object = None


def _party_ref(ref: _PartyRef | None):
    return None if ref is None else {"PartyId": ref.PartyId, "Name": ref.Name}


def _invoice(d: _Invoice) -> dict:
    return {
        "$type": d.type,
        "InvoiceId": d.InvoiceId,
        "InvoiceNumber": d.InvoiceNumber,
        "InvoiceDate": d.InvoiceDate,
        "DueDate": d.DueDate,
        "InvoicePurpose": d.InvoicePurpose,
        "AccountingMethod": d.AccountingMethod,
        "BillToParty": _party_ref(d.BillToParty),
        "SoldToParty": _party_ref(d.SoldToParty),
        "InvoiceAmount": _amount(d.InvoiceAmount),
        "AdjustmentAmount": _amount(d.AdjustmentAmount),
        "PaymentAmount": _amount(d.PaymentAmount),
        "Balance": _amount(d.Balance),
        "AutoPayInstructionId": d.AutoPayInstructionId,
        "Description": d.Description,
    }


class _Party(msgspec.Struct, gc=False):
    """What parsers.parse_party reads of ``PersonData`` / ``OrganizationData`` (and the stamp)."""

    type: object = msgspec.field(name="$type", default=None)
    PartyId: object = None
    Id: object = None
    Name: object = None
    OrganizationName: object = None
    IsOrganization: object = None
    PersonName: object = None
    PrimaryOrganization: object = None
    Addresses: object = None
    Emails: object = None
    Email: object = None
    Phones: object = None
    Phone: object = None
    CityName: object = None
    CountrySubEntityName: object = None
    CountryName: object = None
    Status: object = None
    AdditionalAttributes: NamedValues | None = None
    UpdateInformation: object = None


_PARTY_FIELDS = tuple(
    (name, msgspec.structs.fields(_Party)[i].encode_name)
    for i, name in enumerate(_Party.__struct_fields__)
)


def _party(d: _Party) -> dict:
    return {key: getattr(d, name) for name, key in _PARTY_FIELDS}


_PARTIAL: dict[str, tuple[msgspec.json.Decoder, Callable]] = {
    "party": (msgspec.json.Decoder(_Party), _party),
    "activity": (msgspec.json.Decoder(_GenericEntity), _generic_entity),
    "relationship_owner": (msgspec.json.Decoder(_GenericEntity), _generic_entity),
    "invoice": (msgspec.json.Decoder(_Invoice), _invoice),
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
        except (msgspec.ValidationError, _Misfit):
            return orjson.loads(raw)

    return decode
