"""What the calculator returns: breakdown steps, lines, the expected invoice and an adjustment;
and the exact arithmetic each figure is rounded once from.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from common.errors import DomainError
from common.money import format_money, to_money
from dues.billing.calculator.terms import Term
from dues.billing.policy import BillingPolicy


def _money(policy: BillingPolicy, value: Fraction) -> Decimal:
    """One figure to the cent: the exact value rounded once by the policy's rule."""
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    return policy.round(exact)


def _frac(amount: Decimal) -> Fraction:
    return Fraction(amount)


def _percent(value: Decimal) -> str:
    return f"{format(value.normalize(), 'f')} %"


def _nonnegative(amount: Decimal, what: str) -> Decimal:
    if amount is None:
        raise DomainError(f"Enter {what}.", code="missing_amount")
    amount = to_money(amount)
    if amount < 0:
        raise DomainError(
            f"{what.capitalize()} cannot be negative ({format_money(amount)}); enter it as a "
            "positive amount.",
            code="negative_amount",
        )
    return amount


@dataclass(frozen=True)
class Step:
    """One line of a breakdown: the rule applied and the words that explain it."""

    rule: str
    text: str
    amount: Decimal | None = None
    item: str = ""
    price: Decimal | None = None
    price_source: str = ""
    begin: date | None = None
    end: date | None = None
    months: int | None = None
    days: int | None = None
    discount: Decimal | None = None

    def as_dict(self) -> dict:
        out = {"rule": self.rule, "text": self.text}
        for name in ("amount", "price", "discount"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        for name in ("begin", "end"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        for name in ("item", "price_source"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("months", "days"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class Line:
    """One expected invoice line: dues, chapter dues or a subscription."""

    kind: str  # dues | chapter | subscription
    item: str
    amount: Decimal
    price: Decimal
    steps: tuple[Step, ...]

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "item": self.item,
            "amount": str(self.amount),
            "price": str(self.price),
            "steps": [s.as_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class Expected:
    """What a dues invoice should be, line by line."""

    amount: Decimal
    term: Term
    lines: tuple[Line, ...]
    steps: tuple[Step, ...]  # the invoice-level rules (term, complimentary, total)

    def line(self, kind: str) -> Line | None:
        return next((li for li in self.lines if li.kind == kind), None)

    def breakdown(self) -> list[dict]:
        return (
            [s.as_dict() for s in self.steps[:-1]]
            + [s.as_dict() for li in self.lines for s in li.steps]
            + [self.steps[-1].as_dict()]
        )

    def words(self) -> str:
        return " ".join(step["text"] for step in self.breakdown())


@dataclass(frozen=True)
class Adjustment:
    """A computed change to an invoice: net > 0 a debit (the member owes more), < 0 a credit."""

    amount: Decimal
    steps: tuple[Step, ...]
    parts: Mapping[str, Decimal] = field(default_factory=dict)
    exact: Mapping[str, Fraction] = field(default_factory=dict)  # before rounding

    @property
    def direction(self) -> str:
        return "debit" if self.amount > 0 else "credit" if self.amount < 0 else "none"

    def breakdown(self) -> list[dict]:
        return [s.as_dict() for s in self.steps]

    def words(self) -> str:
        return " ".join(s.text for s in self.steps)
