"""The billing calculator: what an invoice should be, prorations, tier changes, cancellations.

Pure and exact: no database, no clock. Amounts are Decimal; intermediate values are exact
fractions, and each figure a person sees is rounded once, by the policy's rule, through
``BillingPolicy.round`` (common.money). Every result carries its breakdown: the rule, the price
and where it came from, the dates, the months or days, the discount, in plain words.

Terms (billing-policy.md): an anniversary term runs 12 months from its begin date and ends the
day before the same date a year later; when that month is shorter, the same date is its last
day (a term from January 31 renews on the last day of January's successor months: February 28,
March 31, ...). A monthly period runs from the term's begin day in one month to the day before
it in the next, by the same rule.
"""

from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from common.errors import DomainError
from common.money import DOWN, ZERO, format_money, to_money
from dues.billing.policy import BillingPolicy

ONE_DAY = timedelta(days=1)


class NoPrice(DomainError):
    """An item without a price on a date: a finding, never a crash."""

    def __init__(self, item: str, on: date) -> None:
        super().__init__(f"no price for {item} on {on.isoformat()}", code="no_price")
        self.item, self.on = item, on


@lru_cache(maxsize=8192)
def spoken_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


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


# --- prices ---------------------------------------------------------------------------


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


# --- terms and periods ------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when that month is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


@dataclass(frozen=True)
class Term:
    begin: date
    end: date
    years: int = 1

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def days(self) -> int:
        return (self.end - self.begin).days + 1

    def anchors(self) -> list[date]:
        """Start of each monthly period, and the day after the term."""
        return [add_months(self.begin, k) for k in range(self.months + 1)]

    def words(self) -> str:
        span = f"{self.years} years" if self.years > 1 else "one year"
        return f"{spoken_date(self.begin)} to {spoken_date(self.end)} ({span})"

    def contains(self, day: date) -> bool:
        return self.begin <= day <= self.end


def anniversary_term(begin: date, years: int = 1) -> Term:
    return Term(begin, add_months(begin, 12 * years) - ONE_DAY, years)


def calendar_term(policy: BillingPolicy, day: date, years: int = 1) -> Term:
    """The calendar-model term that contains ``day``."""
    start = date(day.year, policy.term_start_month, 1)
    if start > day:
        start = date(day.year - 1, policy.term_start_month, 1)
    return Term(start, add_months(start, 12 * years) - ONE_DAY, years)


def term_for(policy: BillingPolicy, begin: date, years: int = 1) -> Term:
    """The term a member's billing begins on ``begin`` falls in, under the policy's model.

    Anniversary: the term begins that day. Calendar: the calendar term containing it (a joiner
    later than its first day is prorated).
    """
    _years(years)
    if policy.term_model == "calendar":
        return calendar_term(policy, begin, years)
    return anniversary_term(begin, years)


def renewal_term(policy: BillingPolicy, paid_thru: date, years: int = 1) -> Term:
    """A renewal term begins the day after the paid-through date."""
    return term_for(policy, paid_thru + ONE_DAY, years)


def _years(years: int) -> int:
    if not isinstance(years, int) or years < 1:
        raise DomainError(f"A term is one or more whole years, not {years!r}.", code="bad_years")
    return years


def _within(term: Term, day: date, what: str) -> None:
    if not term.contains(day):
        raise DomainError(
            f"The {what} {spoken_date(day)} is outside the term {spoken_date(term.begin)} to "
            f"{spoken_date(term.end)}; pick a date within it.",
            code="date_outside_term",
        )


def _after_join(day: date, join_date: date | None, what: str) -> None:
    if join_date is not None and day < join_date:
        raise DomainError(
            f"The {what} {spoken_date(day)} is before the member joined on "
            f"{spoken_date(join_date)}; pick a date on or after it.",
            code="before_join",
        )


# --- proration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Portion:
    """The part of a term left from a date, by the policy's proration mode."""

    mode: str
    left: int  # months (monthly) or days (daily) left; for none, the whole term
    of: int  # months or days in the term
    charge: Fraction  # share of the term price charged for the rest of the term
    credit: Fraction  # share credited back for it (none: nothing)
    note: str

    def words(self) -> str:
        return self.note


def portion(policy: BillingPolicy, term: Term, day: date) -> Portion:
    """What is left of ``term`` from ``day`` (included), counted as the policy counts it."""
    _within(term, day, "date")
    if policy.proration == "none":
        return Portion(
            "none", term.months, term.months, Fraction(1), Fraction(0), "no proration: full price"
        )
    if policy.proration == "daily":
        left = (term.end - day).days + 1
        share = Fraction(left, term.days)
        note = f"{left} of {term.days} days left, {spoken_date(day)} included"
        return Portion("daily", left, term.days, share, share, note)
    anchors = term.anchors()
    k = max(i for i in range(term.months) if anchors[i] <= day)
    offset = (day - anchors[k]).days
    counted = offset < policy.proration_first_days
    left = term.months - k - (0 if counted else 1)
    period = f"{spoken_date(anchors[k])} to {spoken_date(anchors[k + 1] - ONE_DAY)}"
    rule = (
        f"within the first {policy.proration_first_days} days of its period ({period}), "
        "so that month counts"
        if counted
        else f"after the first {policy.proration_first_days} days of its period ({period}), "
        "so that month does not count"
    )
    share = Fraction(left, term.months)
    note = f"{left} of {term.months} months left: {spoken_date(day)} is {rule}"
    return Portion("monthly", left, term.months, share, share, note)


# --- results ----------------------------------------------------------------------------


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


# --- the expected invoice ---------------------------------------------------------------


def _label(prices: PriceBook, item: str) -> str:
    name = prices.names.get(item)
    return f"{name} ({item})" if name and name != item else item


def _joiner_share(policy: BillingPolicy, term: Term, join_date: date | None):
    """Calendar model: a member who joins after the term's first day pays for the rest of it."""
    if policy.term_model != "calendar" or join_date is None or join_date <= term.begin:
        return None
    return portion(policy, term, join_date)


def expected_invoice(
    policy: BillingPolicy,
    prices: PriceBook,
    *,
    member_type: str,
    term: Term,
    organisation: bool = False,
    complimentary: bool = False,
    chapter: str = "",
    subscriptions: Iterable[str] = (),
    join_date: date | None = None,
) -> Expected:
    """The dues invoice of one term: member type at the term's begin, the price in force then,
    the chapter line, subscriptions, the multi-year discount on the dues line only."""
    member_type = (member_type or "").strip().upper()
    if not member_type:
        raise DomainError("Choose the member type.", code="unknown_member_type")
    _years(term.years)
    if join_date is not None:
        _after_join(term.end, join_date, "term's end")
    share = _joiner_share(policy, term, join_date)
    head = [Step("term", f"Membership from {term.words()}.", begin=term.begin, end=term.end)]
    if share is not None:
        head.append(
            Step(
                "joiner proration",
                f"Joined {spoken_date(join_date)}, during the term: {share.words()}.",
                begin=join_date,
                end=term.end,
                months=share.left if share.mode == "monthly" else None,
                days=share.left if share.mode == "daily" else None,
            )
        )
    comp = complimentary or policy.is_complimentary(member_type)
    lines = [_dues_line(policy, prices, member_type, term, organisation, comp, share)]
    if chapter and not comp:
        code = policy.chapter_item_for(chapter)
        if prices.has_item(code):
            lines.append(_yearly_line(policy, prices, "chapter", code, term, share))
    if not comp:
        for code in sorted(set(subscriptions)):
            lines.append(_yearly_line(policy, prices, "subscription", code, term, None))
    total = sum((li.amount for li in lines), ZERO)
    steps = (*head, Step("total", f"{format_money(total)} expected on the invoice in all.", total))
    return Expected(total, term, tuple(lines), steps)


def _dues_line(policy, prices, member_type, term, organisation, complimentary, share) -> Line:
    item = prices.dues_item(policy, member_type)
    who = "organisational" if organisation else "member"
    if complimentary:
        step = Step(
            "complimentary",
            f"{member_type} is a complimentary membership: dues are 0.00.",
            ZERO,
            item=item,
        )
        return Line("dues", item, ZERO, ZERO, (step,))
    price = prices.in_force(item, term.begin)
    years = term.years
    discount = policy.discount_percent(years)
    exact = _frac(price.amount) * years * (1 - _frac(discount) / 100)
    steps = [
        Step(
            "price in force",
            f"{_label(prices, item)} is the {who} type {member_type}'s dues item: "
            f"{format_money(price.amount)} a year, the {price.source}, in force on "
            f"{spoken_date(term.begin)} when the term begins.",
            item=item,
            price=price.amount,
            price_source=price.source,
            begin=term.begin,
        )
    ]
    if years > 1:
        steps.append(
            Step(
                "multi-year discount",
                f"{years} years at {format_money(price.amount)} less the {_percent(discount)} "
                f"multi-year discount (dues only).",
                discount=discount,
                months=term.months,
            )
        )
    if share is not None:
        exact *= share.charge
    amount = _money(policy, exact)
    steps.append(Step("dues", f"{format_money(amount)} in dues for the term.", amount, item=item))
    return Line("dues", item, amount, price.amount, tuple(steps))


def _yearly_line(policy, prices, kind: str, item: str, term: Term, share) -> Line:
    price = prices.in_force(item, term.begin)
    exact = _frac(price.amount) * term.years
    what = "Chapter dues" if kind == "chapter" else "Subscription"
    per_year = f"{term.years} years at " if term.years > 1 else ""
    note = ""
    if share is not None:
        exact *= share.charge
        note = " for the rest of the term"
    amount = _money(policy, exact)
    text = (
        f"{what} {_label(prices, item)}: {per_year}{format_money(price.amount)} a year, the "
        f"{price.source}, at its own price{note} (no multi-year discount) = "
        f"{format_money(amount)}."
    )
    step = Step(
        kind,
        text,
        amount,
        item=item,
        price=price.amount,
        price_source=price.source,
        begin=term.begin,
    )
    return Line(kind, item, amount, price.amount, (step,))


# --- mid-term changes -------------------------------------------------------------------


def prorate(policy: BillingPolicy, *, price: Decimal, term: Term, on: date) -> Adjustment:
    """The charge for the rest of ``term`` from ``on``, for a yearly ``price``."""
    price = _nonnegative(price, "the price")
    part = portion(policy, term, on)
    amount = _money(policy, _frac(price) * term.years * part.charge)
    step = Step(
        "proration",
        f"{part.words()}: {format_money(price)} a year for the rest of the term = "
        f"{format_money(amount)}.",
        amount,
        price=price,
        begin=on,
        end=term.end,
        months=part.left if part.mode == "monthly" else None,
        days=part.left if part.mode == "daily" else None,
    )
    return Adjustment(amount, (step,), {"charge": amount})


def tier_change(
    policy: BillingPolicy,
    *,
    old: Price,
    new: Price,
    term: Term,
    change_date: date,
    join_date: date | None = None,
    old_type: str = "",
    new_type: str = "",
) -> Adjustment:
    """A change of member type mid-term: the unused part of the old tier credited, the unused part
    of the new tier charged, both from the change date, netted and rounded once."""
    _nonnegative(old.amount, "the old price")
    _nonnegative(new.amount, "the new price")
    _after_join(change_date, join_date, "change date")
    part = portion(policy, term, change_date)
    credit = _frac(old.amount) * term.years * part.credit
    charge = _frac(new.amount) * term.years * part.charge
    net = _money(policy, charge - credit)
    shown_credit, shown_charge = _money(policy, credit), _money(policy, charge)
    span = dict(
        begin=change_date,
        end=term.end,
        months=part.left if part.mode == "monthly" else None,
        days=part.left if part.mode == "daily" else None,
    )
    old_name, new_name = old_type or old.item, new_type or new.item
    steps = (
        Step(
            "term",
            f"Change of membership on {spoken_date(change_date)}, during the term "
            f"{term.words()}; {part.words()}.",
            begin=term.begin,
            end=term.end,
        ),
        Step(
            "credit",
            f"Unused part of {old_name} ({old.item}, {format_money(old.amount)} a year, the "
            f"{old.source}) credited: {format_money(shown_credit)}.",
            -shown_credit,
            item=old.item,
            price=old.amount,
            price_source=old.source,
            **span,
        ),
        Step(
            "charge",
            f"Unused part of {new_name} ({new.item}, {format_money(new.amount)} a year, the "
            f"{new.source}) charged: {format_money(shown_charge)}.",
            shown_charge,
            item=new.item,
            price=new.amount,
            price_source=new.source,
            **span,
        ),
        Step(
            "net",
            f"One adjustment for the difference, worked out before rounding: {_signed_words(net)}.",
            net,
        ),
    )
    return Adjustment(
        net,
        steps,
        {"credit": -shown_credit, "charge": shown_charge, "net": net},
        {"credit": credit, "charge": charge, "share": part.charge},
    )


def _signed_words(amount: Decimal) -> str:
    if amount > 0:
        return f"{format_money(amount)} more to pay (a debit adjustment)"
    if amount < 0:
        return f"{format_money(-amount)} back to the member (a credit memo)"
    return "nothing to pay or credit"


def cancellation(
    policy: BillingPolicy,
    *,
    billed: Decimal,
    paid: Decimal,
    term: Term,
    cancel_date: date,
    join_date: date | None = None,
) -> Adjustment:
    """A cancellation: the unused part refunded within the window, less the fee, never more
    than was paid; whatever of the invoice is unpaid is written off. Both are credits."""
    billed = _nonnegative(billed, "the amount billed")
    paid = _nonnegative(paid, "the amount paid")
    if paid > billed:
        raise DomainError(
            f"The amount paid ({format_money(paid)}) is more than the invoice "
            f"({format_money(billed)}); enter what was paid against this invoice.",
            code="overpaid",
        )
    _after_join(cancel_date, join_date, "cancellation date")
    part = portion(policy, term, cancel_date)
    since = (cancel_date - term.begin).days
    window = since <= policy.refund_window_days
    steps = [
        Step(
            "term",
            f"Cancelled on {spoken_date(cancel_date)}, {since} days into the term {term.words()}.",
            begin=term.begin,
            end=term.end,
        )
    ]
    if window and part.mode != "none":
        unused = _money(policy, _frac(billed) * part.credit)
        fee = policy.cancellation_fee
        owed = min(max(billed - unused + fee, ZERO), billed)
        steps.append(
            Step(
                "unused",
                f"Within the {policy.refund_window_days}-day refund window: {part.words()}; "
                f"the unused part of {format_money(billed)} is {format_money(unused)}"
                + (f", less the {format_money(fee)} cancellation fee." if fee else "."),
                unused,
                months=part.left if part.mode == "monthly" else None,
                days=part.left if part.mode == "daily" else None,
                begin=cancel_date,
                end=term.end,
            )
        )
    else:
        owed = billed
        why = (
            "the policy does not prorate"
            if part.mode == "none"
            else f"after the {policy.refund_window_days}-day refund window"
        )
        steps.append(Step("no refund", f"No refund: {why}.", ZERO))
    refund = max(paid - owed, ZERO)
    write_off = billed - paid
    steps.append(
        Step(
            "refund",
            f"Refund {format_money(refund)} of the {format_money(paid)} paid (never more than "
            "was paid).",
            -refund,
        )
    )
    if write_off:
        steps.append(
            Step(
                "write-off",
                f"The unpaid {format_money(write_off)} of the invoice is written off.",
                -write_off,
            )
        )
    total = -(refund + write_off)
    steps.append(Step("net", f"Credit memo on the invoice: {format_money(-total)}.", total))
    return Adjustment(total, tuple(steps), {"refund": refund, "write_off": write_off, "owed": owed})


def instalments(total: Decimal, count: int) -> list[Decimal]:
    """A plan's instalments: each the total divided by their count, rounded down to the cent;
    the last takes the remainder, so they sum exactly to the total."""
    total = to_money(total)
    if count < 1:
        raise DomainError("A plan has at least one instalment.", code="bad_count")
    each = to_money(total / count, rule=DOWN)
    return [each] * (count - 1) + [total - each * (count - 1)]


def member_types(policy: BillingPolicy, prices: PriceBook) -> list[str]:
    """Member types that have a dues item: named by an item, or matching the policy's mapping."""
    found = {prices.member_type_of(policy, code) for code in prices.rows}
    return sorted(t for t in found | set(prices.member_items) if t)
