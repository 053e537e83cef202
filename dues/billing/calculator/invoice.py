"""The expected invoice of a member for a term: dues, chapter and yearly lines, a joiner's share."""

from collections.abc import Iterable
from datetime import date

from common.errors import DomainError
from common.money import ZERO, format_money
from dues.billing.calculator.price_book import PriceBook
from dues.billing.calculator.results import Expected, Line, Step, _frac, _money, _percent
from dues.billing.calculator.terms import Term, _after_join, _years, portion, spoken_date
from dues.billing.policy import BillingPolicy


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


def member_types(policy: BillingPolicy, prices: PriceBook) -> list[str]:
    """Member types that have a dues item: named by an item, or matching the policy's mapping."""
    found = {prices.member_type_of(policy, code) for code in prices.rows}
    return sorted(t for t in found | set(prices.member_items) if t)
