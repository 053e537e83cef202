"""The billing calculator: what an invoice should be, prorations, tier changes, cancellations.

Pure and exact: no database, no clock. Amounts are Decimal; intermediate values are exact
fractions, and each figure a person sees is rounded once, by the policy's rule, through
``BillingPolicy.round`` (common.money). Every result carries its breakdown: the rule, the price
and where it came from, the dates, the months or days, the discount, in plain words.

Its parts: ``price_book`` (iMIS prices on a date), ``terms`` (terms, periods and the portion of a
term left), ``results`` (breakdown steps, lines, and exact rounding), ``invoice`` (the expected
invoice) and ``changes`` (mid-term changes: prorations, tier changes, cancellations, instalments).
Callers import from this package.
"""

from dues.billing.calculator.changes import cancellation, instalments, prorate, tier_change
from dues.billing.calculator.invoice import expected_invoice, member_types
from dues.billing.calculator.price_book import NoPrice, Price, PriceBook, PriceRow
from dues.billing.calculator.results import Adjustment, Expected, Line, Step, _frac, _money
from dues.billing.calculator.terms import (
    ONE_DAY,
    Portion,
    Term,
    add_months,
    anniversary_term,
    calendar_term,
    portion,
    renewal_term,
    spoken_date,
    term_for,
)

__all__ = [
    "ONE_DAY",
    "Adjustment",
    "Expected",
    "Line",
    "NoPrice",
    "Portion",
    "Price",
    "PriceBook",
    "PriceRow",
    "Step",
    "Term",
    "_frac",
    "_money",
    "add_months",
    "anniversary_term",
    "calendar_term",
    "cancellation",
    "expected_invoice",
    "instalments",
    "member_types",
    "portion",
    "prorate",
    "renewal_term",
    "spoken_date",
    "term_for",
    "tier_change",
]
