"""One fact a draft may state: its value, its kind (how it is written), its source, and whether
it is free text from outside (data, never instructions).

The facts themselves are read in ``facts`` (the mirror, settings and other apps' providers).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from common.money import format_money, to_money

MONEY, DATE, PERCENT, COUNT, TEXT = "money", "date", "percent", "count", "text"

# Kinds of the facts this module reads; facts from other apps get theirs from their value.
CATALOG_KINDS = {
    "first_name": TEXT,
    "association_name": TEXT,
    "renew_url": TEXT,
    "contact_email": TEXT,
    "membership_type": TEXT,
    "member_since_year": COUNT,
    "years_member": COUNT,
    "paid_thru": DATE,
    "renewal_amount": MONEY,
    "renewal_item": TEXT,
    "events_attended_12m": COUNT,
    "last_event_name": TEXT,
    "committees_active": COUNT,
    "invoice_number": TEXT,
    "invoice_date": DATE,
    "due_date": DATE,
    "invoice_amount": MONEY,
    "amount_due": MONEY,
    "days_overdue": COUNT,
    "last_payment_amount": MONEY,
    "last_payment_date": DATE,
}
PII_FACTS = {"first_name": "NAME"}
# Facts that steer the checks and never reach the text or a model.
CONTROL_FACTS = {"pending_payment_notice"}
UNTRUSTED_SUFFIXES = ("_text", "_memo", "_note")
UNTRUSTED_SOURCE_PREFIX = "untrusted:"


def is_untrusted(name: str, source: str) -> bool:
    """Free text from members, payers or iMIS free-text fields: data, never instructions."""
    return name.endswith(UNTRUSTED_SUFFIXES) or source.startswith(UNTRUSTED_SOURCE_PREFIX)


def format_date(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _format_percent(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return f"{text}%"


@dataclass(frozen=True)
class Fact:
    """One named value a message may state, and where it came from."""

    name: str
    value: object
    source: str
    kind: str = TEXT
    trusted: bool = True

    @property
    def present(self) -> bool:
        """Whether {% if %} shows its text: a zero count is absent, a zero balance is not."""
        if self.value is None or self.value == "":
            return False
        return self.kind == MONEY or self.value != 0

    def display(self) -> str:
        """The value as a message states it."""
        if self.value is None:
            return ""
        if self.kind == MONEY:
            return format_money(self.value)
        if self.kind == DATE:
            return format_date(self.value)
        if self.kind == PERCENT:
            return _format_percent(self.value)
        return str(self.value)

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        return {
            "name": self.name,
            "value": value,
            "source": self.source,
            "kind": self.kind,
            "trusted": self.trusted,
            "display": self.display(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Fact":
        kind, value = data.get("kind", TEXT), data.get("value")
        if value is not None and value != "":
            if kind in (MONEY, PERCENT):
                value = Decimal(str(value))
            elif kind == DATE:
                value = date.fromisoformat(str(value)[:10])
            elif kind == COUNT:
                value = int(value)
        return cls(
            name=str(data.get("name", "")),
            value=value,
            source=str(data.get("source", "")),
            kind=kind,
            trusted=bool(data.get("trusted", True)),
        )


def make_fact(name: str, value, source: str) -> Fact:
    """A fact from another app's (value, source) pair; its kind follows from the value."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"fact {name!r} needs a source (where its value came from)")
    if isinstance(value, float):
        raise TypeError(f"fact {name!r}: pass amounts and percentages as Decimal, not float")
    percent = "percent" in name or name.endswith("_pct")
    if isinstance(value, bool):
        kind, value = TEXT, ("yes" if value else "no")
    elif isinstance(value, datetime):
        kind, value = DATE, timezone.localdate(value) if timezone.is_aware(value) else value.date()
    elif isinstance(value, date):
        kind = DATE
    elif isinstance(value, Decimal):
        kind = PERCENT if percent else MONEY
        value = value if percent else to_money(value)
    elif isinstance(value, int):
        kind = PERCENT if percent else COUNT
        value = Decimal(value) if percent else value
    else:
        kind, value = CATALOG_KINDS.get(name, TEXT), "" if value is None else str(value)
    return Fact(name, value, source, kind, trusted=not is_untrusted(name, source))
