"""The association's billing policy as one frozen value: environment defaults, then a manager's
stored overrides. Everything that bills, checks, prorates or refunds asks ``current_policy()``.

Each rule is declared once in ``RULES`` (its setting, label, parser and help), so the page, the
audit trail and the calculator all read the same list.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings

from common.errors import DomainError
from common.money import RULES as ROUNDING_RULES
from common.money import to_money

TERM_MODELS = ("anniversary", "calendar")
PRORATION_MODES = ("monthly", "daily", "none")


@dataclass(frozen=True)
class BillingPolicy:
    """What "a correct invoice" means for this association (billing-policy.md)."""

    term_model: str = "anniversary"
    term_start_month: int = 1
    multi_year_discounts: tuple[tuple[int, Decimal], ...] = ((2, Decimal(5)), (3, Decimal(10)))
    complimentary_types: frozenset[str] = frozenset({"HON", "LIFE", "STAFF"})
    organisation_types: frozenset[str] = frozenset({"ORG"})
    dues_item: str = "DUES/{type}"
    chapter_item: str = "CHAPT/{chapter}"
    proration: str = "monthly"
    proration_first_days: int = 15
    refund_window_days: int = 90
    cancellation_fee: Decimal = Decimal("0.00")
    rounding: str = "half_up"
    memo_threshold: Decimal = Decimal("100.00")
    validation_days: int = 120
    dues_purposes: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {"MembershipJoin", "MembershipRenewal", "MembershipChange"}
        )
    )

    def discount_percent(self, years: int) -> Decimal:
        """The multi-year discount of a term of ``years`` (0 for one year)."""
        if years == 1:
            return Decimal(0)
        for term_years, percent in self.multi_year_discounts:
            if term_years == years:
                return percent
        offered = ", ".join(f"{y}" for y, _ in self.multi_year_discounts) or "none"
        raise DomainError(
            f"A {years}-year term is not offered: the policy has multi-year terms of {offered} "
            "years. Choose one of those, or add it to the multi-year discounts."
        )

    def round(self, value: Decimal) -> Decimal:
        """One computed figure to the cent, by the policy's rule (never an intermediate)."""
        return to_money(value, rule=ROUNDING_RULES[self.rounding])

    def dues_item_for(self, member_type: str) -> str:
        return self.dues_item.replace("{type}", member_type)

    def chapter_item_for(self, chapter: str) -> str:
        return self.chapter_item.replace("{chapter}", chapter)

    def is_complimentary(self, member_type: str) -> bool:
        return member_type.upper() in self.complimentary_types

    def is_organisational(self, member_type: str) -> bool:
        return member_type.upper() in self.organisation_types


# --- parsing: each rule from its text (environment or the policy page) -------------------


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise DomainError(f"“{text}” is not a whole number.") from None
        if not low <= value <= high:
            raise DomainError(f"{value} is outside {low} to {high}.")
        return value

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text).strip().lower()
        if value not in options:
            raise DomainError(f"“{text}” is not one of {', '.join(options)}.")
        return value

    return parse


def _amount(text: str) -> Decimal:
    try:
        value = to_money(str(text).strip() or "0")
    except (ValueError, TypeError):
        raise DomainError(f"“{text}” is not an amount; write it like 25.00.") from None
    if value < 0:
        raise DomainError("An amount here cannot be negative.")
    return value


def _codes(text) -> frozenset[str]:
    parts = text if isinstance(text, list | tuple | set | frozenset) else str(text).split(",")
    return frozenset(p.strip().upper() for p in parts if str(p).strip())


def _purposes(text) -> frozenset[str]:
    parts = text if isinstance(text, list | tuple | set | frozenset) else str(text).split(",")
    return frozenset(str(p).strip() for p in parts if str(p).strip())


def _pattern(placeholder: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text).strip()
        if placeholder not in value:
            raise DomainError(
                f"The item code pattern must contain {placeholder}, e.g. DUES/{{type}}."
            )
        return value

    return parse


def _discounts(text: str) -> tuple[tuple[int, Decimal], ...]:
    """``2:5,3:10`` → ((2, 5), (3, 10)): years and percent off the dues line."""
    out = []
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        years, sep, percent = part.partition(":")
        try:
            y, pct = int(years), Decimal(percent.strip())
        except (ValueError, InvalidOperation):
            raise DomainError(
                f"“{part}” is not years:percent (for example 3:10 for 10 % off a 3-year term)."
            ) from None
        if not sep or not 2 <= y <= 10 or not Decimal(0) <= pct < Decimal(100):
            raise DomainError(
                f"“{part}”: a multi-year term is 2 to 10 years with a discount from 0 to 99 %."
            )
        out.append((y, pct))
    if len({y for y, _ in out}) != len(out):
        raise DomainError("Each term length may appear once in the multi-year discounts.")
    return tuple(sorted(out))


def _discounts_text(value) -> str:
    return ",".join(f"{y}:{format(p.normalize(), 'f')}" for y, p in value)


def _set_text(value) -> str:
    return ", ".join(sorted(value))


@dataclass(frozen=True)
class Rule:
    """One rule of the policy: the field, its setting, how it reads and how it is shown."""

    name: str
    setting: str
    label: str
    help: str
    parse: Callable
    text: Callable = str


RULES: tuple[Rule, ...] = (
    Rule(
        "term_model",
        "BILLING_TERM_MODEL",
        "Term model",
        "anniversary: 12 months from the begin date; calendar: from the first of the start month.",
        _choice(TERM_MODELS),
    ),
    Rule(
        "term_start_month",
        "BILLING_TERM_START_MONTH",
        "Calendar term start month",
        "1 to 12; only used by the calendar model.",
        _int_between(1, 12),
    ),
    Rule(
        "multi_year_discounts",
        "BILLING_MULTI_YEAR_DISCOUNTS",
        "Multi-year discounts",
        "years:percent off the dues line, e.g. 2:5,3:10.",
        _discounts,
        _discounts_text,
    ),
    Rule(
        "complimentary_types",
        "BILLING_COMPLIMENTARY_TYPES",
        "Complimentary member types",
        "Billed 0.00, comma-separated (honorary, life, staff).",
        _codes,
        _set_text,
    ),
    Rule(
        "organisation_types",
        "BILLING_ORGANISATION_TYPES",
        "Organisational member types",
        "Pay the organisational price, never an individual's.",
        _codes,
        _set_text,
    ),
    Rule(
        "dues_item",
        "BILLING_DUES_ITEM",
        "Dues item of a member type",
        "Used when the iMIS item names no member type; {type} is the member type code.",
        _pattern("{type}"),
    ),
    Rule(
        "chapter_item",
        "BILLING_CHAPTER_ITEM",
        "Chapter dues item",
        "{chapter} is the member's chapter code.",
        _pattern("{chapter}"),
    ),
    Rule(
        "proration",
        "BILLING_PRORATION",
        "Proration",
        "monthly, daily or none (full price, no refund).",
        _choice(PRORATION_MODES),
    ),
    Rule(
        "proration_first_days",
        "BILLING_PRORATION_FIRST_DAYS",
        "Monthly proration: first days of a period",
        "A change within this many days of a monthly period's start counts that period.",
        _int_between(1, 28),
    ),
    Rule(
        "refund_window_days",
        "BILLING_REFUND_WINDOW_DAYS",
        "Refund window (days)",
        "A cancellation within this many days of the term's begin date is refunded.",
        _int_between(0, 3660),
    ),
    Rule(
        "cancellation_fee",
        "BILLING_CANCELLATION_FEE",
        "Cancellation fee",
        "Kept from a cancellation refund.",
        _amount,
    ),
    Rule(
        "rounding",
        "BILLING_ROUNDING",
        "Rounding",
        "half_up (the policy: x.xx5 goes up) or bankers; applied once per computed figure.",
        _choice(tuple(ROUNDING_RULES)),
    ),
    Rule(
        "memo_threshold",
        "BILLING_MEMO_THRESHOLD",
        "Manager approval above",
        "Credit memos and debit adjustments above this amount need a manager.",
        _amount,
    ),
    Rule(
        "validation_days",
        "BILLING_VALIDATION_DAYS",
        "Check invoices of the last (days)",
        "Invoices dated within this many days are checked.",
        _int_between(1, 3660),
    ),
    Rule(
        "dues_purposes",
        "BILLING_DUES_PURPOSES",
        "Dues invoice purposes",
        "iMIS InvoicePurpose values of dues invoices, comma-separated.",
        _purposes,
        _set_text,
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}


def defaults() -> dict:
    """The environment's values, parsed (a bad environment value fails loudly at first use)."""
    values = {}
    for rule in RULES:
        raw = getattr(settings, rule.setting)
        try:
            values[rule.name] = rule.parse(raw)
        except DomainError as exc:
            raise DomainError(f"Setting {rule.setting}: {exc}") from None
    return values


def policy_from(overrides: dict[str, str]) -> BillingPolicy:
    """The environment's policy with stored overrides (rule name → text) applied."""
    values = defaults()
    for name, text in overrides.items():
        if name in RULES_BY_NAME:
            values[name] = RULES_BY_NAME[name].parse(text)
    return BillingPolicy(**values)


def as_texts(policy: BillingPolicy) -> dict[str, str]:
    """Every rule as text, the way the page and the audit trail show it."""
    return {rule.name: rule.text(getattr(policy, rule.name)) for rule in RULES}


def current_policy() -> BillingPolicy:
    """The policy in force now: environment defaults with a manager's stored overrides."""
    from dues.models import BillingPolicySetting

    stored = dict(BillingPolicySetting.objects.values_list("name", "value"))
    return policy_from(stored)
