"""Mid-term changes: a prorated price, a tier change, a cancellation, and instalments."""

from datetime import date
from decimal import Decimal

from common.errors import DomainError
from common.money import DOWN, ZERO, format_money, to_money
from dues.billing.calculator.price_book import Price
from dues.billing.calculator.results import Adjustment, Step, _frac, _money, _nonnegative
from dues.billing.calculator.terms import Term, _after_join, portion, spoken_date
from dues.billing.policy import BillingPolicy


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
