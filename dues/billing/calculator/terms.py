"""Terms and periods of membership, and the portion of a term left from a date.

Terms (billing-policy.md): an anniversary term runs 12 months from its begin date and ends the
day before the same date a year later; when that month is shorter, the same date is its last
day (a term from January 31 renews on the last day of January's successor months: February 28,
March 31, ...). A monthly period runs from the term's begin day in one month to the day before
it in the next, by the same rule.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from common.errors import DomainError
from dues.billing.policy import BillingPolicy

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=8192)
def spoken_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


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
