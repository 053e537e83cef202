"""Prices of iMIS items on a date, and the error of an item without one."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from common.errors import DomainError
from dues.billing.calculator.terms import spoken_date
from dues.billing.policy import BillingPolicy


class NoPrice(DomainError):
    """An item without a price on a date: a finding, never a crash."""

    def __init__(self, item: str, on: date) -> None:
        super().__init__(f"no price for {item} on {on.isoformat()}", code="no_price")
        self.item, self.on = item, on


@dataclass(frozen=True)
class Price:
    """A price in force: the item, the amount, and where it comes from, in words."""

    item: str
    amount: Decimal
    source: str  # e.g. "current price" or "future price from January 1, 2026"
    effective: date | None = None


@dataclass(frozen=True)
class PriceRow:
    """One price of an item from a date (None: in force until a later row)."""

    amount: Decimal | None
    effective: date | None
    label: str  # what iMIS calls it: current price, future price, price list row


@dataclass(frozen=True)
class PriceBook:
    """Item prices as iMIS publishes them: rows per item, and the items that name a member type.

    ``rows``: item code → its price rows; ``member_items``: member type → the item whose
    ``MemberType`` names it (the policy's mapping applies when none does); ``names``: item code
    → its display name; ``classes``: item code → its iMIS item class.
    """

    rows: Mapping[str, tuple[PriceRow, ...]]
    member_items: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    classes: Mapping[str, str] = field(default_factory=dict)  # item code → DUES, SUBSCRIPTION

    def dues_item(self, policy: BillingPolicy, member_type: str) -> str:
        return self.member_items.get(member_type) or policy.dues_item_for(member_type)

    def member_type_of(self, policy: BillingPolicy, item: str) -> str | None:
        """The member type a dues item bills: the one whose ``MemberType`` names it, else the
        policy's mapping read backwards (``DUES/{type}``); None for any other item."""
        for member_type, code in self.member_items.items():
            if code == item:
                return member_type
        head, _, tail = policy.dues_item.partition("{type}")
        if item.startswith(head) and item.endswith(tail) and len(item) > len(head + tail):
            return item[len(head) : len(item) - len(tail)]
        return None

    def has_item(self, item: str) -> bool:
        return item in self.rows

    def in_force(self, item: str, on: date) -> Price:
        """The price in force on a date: the row with the latest effective date on or before it
        (a row without a date is the current price, in force until a dated one takes over)."""
        best: PriceRow | None = None
        for row in self.rows.get(item, ()):
            if row.effective is not None and row.effective > on:
                continue
            if best is None or (row.effective or date.min) >= (best.effective or date.min):
                best = row
        if best is None or best.amount is None:
            raise NoPrice(item, on)
        source = best.label
        if best.effective is not None:
            source = f"{best.label} from {spoken_date(best.effective)}"
        return Price(item, best.amount, source, best.effective)

    def other_prices(self, item: str) -> list[Decimal]:
        """Every price the item has (for telling a stale price from another mistake)."""
        return [row.amount for row in self.rows.get(item, ()) if row.amount is not None]
