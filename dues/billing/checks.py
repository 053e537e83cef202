"""Invoice checks: every dues invoice against the calculator, in bulk.

``check_snapshot.load`` reads what the checks need with one query per table (invoices, their
members' subscription lines, the members); ``Checker.check`` then works on plain tuples, so
checking costs no query per invoice.

The mirror holds an invoice's lines as the Subscription rows that name its InvoiceId
(CONTRACT.md: InvoiceSummary carries no lines). iMIS keeps one row per member and item, so a
member's older invoice loses its lines when the next term is billed: an invoice without a dues
line is checked only for being a duplicate.

How a difference is named (the first that fits):
- a tier-change invoice (its dues line begins the day after the member's previous tier's line
  ends, mid-term) billed other than the netted proration: tier change not prorated;
- a dues item of another member type: organisation at an individual rate (an organisation
  billed an individual type), else wrong tier;
- the right item at another of its prices: stale price; with another multi-year discount (or
  none): multi-year discount wrong;
- the chapter line missing, extra, of another chapter or at another price: chapter line wrong;
- anything else: other difference.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from common.errors import DomainError
from common.money import ZERO, format_money
from dues.billing import calculator as calc
from dues.billing.calculator import NoPrice, PriceBook, Term, spoken_date
from dues.billing.check_snapshot import Inv, Member, Snapshot, Sub

# Re-exported for dues/inquiries/account.py, which reads them from here.
from dues.billing.check_snapshot import load as load
from dues.billing.policy import BillingPolicy

K = "wrong_tier stale_price org_individual_rate duplicate chapter_line multi_year_discount"
KINDS = (*K.split(), "tier_change_not_prorated", "other_difference", "no_price")
CONFIDENCE = {
    "wrong_tier": Decimal("0.900"),
    "stale_price": Decimal("0.970"),
    "org_individual_rate": Decimal("0.950"),
    "duplicate": Decimal("0.950"),
    "chapter_line": Decimal("0.900"),
    "multi_year_discount": Decimal("0.970"),
    "tier_change_not_prorated": Decimal("0.950"),
    "other_difference": Decimal("0.600"),
    "no_price": Decimal("0.990"),
}
# A duplicate bills a term again from a little before it begins (renewals go out early).
DUPLICATE_LEAD = timedelta(days=180)
ONE_DAY = timedelta(days=1)


@dataclass
class Outcome:
    invoice: Inv
    outcome: str  # clean | flagged | skipped
    kind: str = ""
    expected: Decimal | None = None
    confidence: Decimal | None = None
    summary: str = ""
    breakdown: dict = field(default_factory=dict)
    reason: str = ""
    member_name: str = ""

    @property
    def difference(self) -> Decimal:
        return (self.expected if self.expected is not None else self.invoice.billed) - (
            self.invoice.billed
        )


def term_years(begin: date, through: date) -> int:
    return max(1, round(((through - begin).days + 1) / 365.25))


def _whole(begin: date, through: date) -> bool:
    """Whether a line spans whole years, give or take a month (a joiner's first term may end
    with the month before the anniversary)."""
    years = ((through - begin).days + 1) / 365.25
    return round(years) >= 1 and abs(years - round(years)) * 365.25 <= 31


class Checker:
    """Checks invoices against the policy and the prices, with no database access."""

    def __init__(
        self, policy: BillingPolicy, prices: PriceBook, snapshot: Snapshot, *, explain=False
    ):
        self.policy, self.prices, self.snap = policy, prices, snapshot
        self.explain = explain  # a breakdown for clean invoices too (the invoice page)
        self._types: dict[str, str | None] = {}
        self._chapter = policy.chapter_item.partition("{chapter}")

    # -- what a line is ---------------------------------------------------------------------
    def item_type(self, code: str) -> str | None:
        if code not in self._types:
            self._types[code] = self.prices.member_type_of(self.policy, code)
        return self._types[code]

    def is_chapter(self, code: str) -> bool:
        head, _, tail = self._chapter
        return code.startswith(head) and code.endswith(tail) and len(code) > len(head + tail)

    def is_subscription(self, sub: Sub) -> bool:
        cls = sub.item_class or self.prices.classes.get(sub.item, "")
        return "SUBSCRIPTION" in (cls.upper(), sub.product_type.upper())

    # -- one invoice --------------------------------------------------------------------------
    def check(self, inv: Inv) -> Outcome:
        member = self.snap.members.get(inv.sold_to)
        if member is None:
            return Outcome(inv, "skipped", reason="the member is not in the mirror")
        lines = self.snap.lines.get(inv.id, [])
        dues = [li for li in lines if li.begin and li.through and self.item_type(li.item)]
        if not dues:
            if inv.purpose in self.policy.dues_purposes:
                return self._duplicate(inv, member)
            return Outcome(inv, "skipped", reason="not a dues invoice")
        line = dues[0]
        others = [li for li in lines if li is not line]
        try:
            before = self._previous_tier(member, line)
            if before is not None:
                return self._tier_change(inv, member, line, before, others)
            return self._term(inv, member, line, others)
        except NoPrice as exc:
            return Outcome(
                inv,
                "flagged",
                "no_price",
                None,
                CONFIDENCE["no_price"],
                f"Cannot check: {exc}. Add the price in iMIS (or correct the item), then check "
                "again.",
                {"lines": self._billed_lines(lines), "expected": []},
                member_name=member.name,
            )
        except DomainError as exc:
            return Outcome(inv, "skipped", reason=str(exc)[:200], member_name=member.name)

    def _rows(self, member: Member) -> list[Sub]:
        return self.snap.subs_by_party.get(member.id, [])

    def _previous_tier(self, member: Member, line: Sub) -> Sub | None:
        """The member's previous tier when ``line`` starts mid-term, the day after it ended.

        A new tier from a renewal also begins the day after the old one ended, but then both
        lines span whole terms; mid-term, one of them does not."""
        for row in self._rows(member):
            if (
                row.item != line.item
                and row.through == line.begin - ONE_DAY
                and row.begin
                and row.begin < line.begin
                and self.item_type(row.item)
                and not (_whole(row.begin, row.through) and _whole(line.begin, line.through))
            ):
                return row
        return None

    def _next_tier(self, member: Member, line: Sub) -> Sub | None:
        """A later tier that cut this line short: the type at the term's begin was this one."""
        for row in self._rows(member):
            if (
                row.item != line.item
                and row.begin == line.through + ONE_DAY
                and self.item_type(row.item)
                and self._previous_tier(member, row) is line
            ):
                return row
        return None

    def _replaced_tier(self, member: Member, line: Sub) -> Sub | None:
        """Another tier's line for this very term, no longer active: the member's type changed
        after the term was billed (iMIS moved the line to the new item), so the type at the
        term's begin was that one."""
        for row in self._rows(member):
            if (
                row.item != line.item
                and row.begin == line.begin
                and row.through
                and row.through >= line.begin
                and not row.status.lower().startswith("a")
                and self.item_type(row.item)
            ):
                return row
        return None

    # -- a term's invoice ---------------------------------------------------------------------
    def _term(self, inv: Inv, member: Member, line: Sub, others: list[Sub]) -> Outcome:
        policy = self.policy
        later = self._next_tier(member, line)
        through = later.through if later else line.through
        member_type = self.item_type(line.item) if later else member.type
        replaced = None if later else self._replaced_tier(member, line)
        if replaced is not None:
            member_type = self.item_type(replaced.item)
        years = term_years(line.begin, through)
        term = calc.term_for(policy, line.begin, years)
        chapters = [li for li in others if self.is_chapter(li.item)]
        subscriptions = [li for li in others if self.is_subscription(li)]
        unchecked = [li for li in others if li not in chapters and li not in subscriptions]
        organisation = member.is_org or policy.is_organisational(member_type or "")
        expected = calc.expected_invoice(
            policy,
            self.prices,
            member_type=member_type or "",
            term=term,
            organisation=organisation,
            chapter=member.chapter,
            subscriptions=[li.item for li in subscriptions],
            join_date=member.join,
        )
        extra = sum((li.billed or ZERO for li in unchecked), ZERO)
        total = expected.amount + extra
        if inv.billed == total and not self.explain:
            return Outcome(inv, "clean", expected=total)
        breakdown = {
            "term": {"begin": term.begin.isoformat(), "end": term.end.isoformat(), "years": years},
            "lines": self._compare(expected, [line, *others], unchecked),
            "expected": expected.breakdown(),
        }
        if inv.billed == total:
            return Outcome(inv, "clean", expected=total, breakdown=breakdown)
        kind = self._name(member, member_type, line, chapters, expected, organisation)
        return _flagged(
            inv, member, kind, total, _summary(kind, inv, total, expected, line), breakdown
        )

    def _name(self, member, member_type, line, chapters, expected, organisation) -> str:
        billed_type = self.item_type(line.item)
        if billed_type != member_type:
            if organisation and not self.policy.is_organisational(billed_type or ""):
                return "org_individual_rate"
            return "wrong_tier"
        dues = expected.line("dues")
        if line.billed is not None and line.billed != dues.amount:
            years = expected.term.years
            price = dues.price
            discount = self.policy.discount_percent(years)
            if years > 1:
                others = {Decimal(0)} | {p for y, p in self.policy.multi_year_discounts}
                if line.billed in {_charge(self.policy, price, years, d) for d in others}:
                    return "multi_year_discount"
            stale = {
                _charge(self.policy, p, years, discount)
                for p in self.prices.other_prices(line.item)
                if p != price
            }
            if line.billed in stale:
                return "stale_price"
            return "other_difference"
        due = expected.line("chapter")
        billed = sorted((li.item, li.billed) for li in chapters)
        wanted = [(due.item, due.amount)] if due else []
        if billed != wanted:
            return "chapter_line"
        return "other_difference"

    # -- a tier change -----------------------------------------------------------------------
    def _tier_change(self, inv, member, line, before, others) -> Outcome:
        policy, prices = self.policy, self.prices
        years = term_years(before.begin, line.through)
        term = Term(before.begin, line.through, years)
        old_type, new_type = self.item_type(before.item), self.item_type(line.item)
        old = prices.in_force(before.item, term.begin)
        new = prices.in_force(line.item, term.begin)
        change = calc.tier_change(
            policy,
            old=old,
            new=new,
            term=term,
            change_date=line.begin,
            join_date=member.join,
            old_type=old_type,
            new_type=new_type,
        )
        extra = sum((li.billed or ZERO for li in others), ZERO)
        total = change.amount + extra
        breakdown = {
            "term": {"begin": term.begin.isoformat(), "end": term.end.isoformat(), "years": years},
            "lines": [
                {
                    "kind": "tier change",
                    "item": line.item,
                    "billed": _text(line.billed),
                    "expected": str(change.amount),
                },
                *[_unchecked(li) for li in others],
            ],
            "expected": change.breakdown(),
        }
        if inv.billed == total:
            return Outcome(inv, "clean", expected=total, breakdown=breakdown)
        if new_type != member.type:
            kind = "wrong_tier"
        else:
            share = change.exact["share"]
            full = {
                _charge(policy, new.amount, years, Decimal(0)),
                _charge(policy, new.amount - old.amount, years, Decimal(0)),
                calc._money(policy, calc._frac(new.amount) * years * share),
            }
            kind = "tier_change_not_prorated" if line.billed in full else "other_difference"
        summary = (
            f"Tier change {old_type} → {new_type} on {spoken_date(line.begin)} billed "
            f"{format_money(inv.billed)}; prorated from the change date it is "
            f"{format_money(total)}."
        )
        return _flagged(inv, member, kind, total, summary, breakdown)

    # -- a second invoice for a term ---------------------------------------------------------
    def _duplicate(self, inv: Inv, member: Member) -> Outcome:
        if inv.date is not None:
            for row in self._rows(member):
                if (
                    row.invoice
                    and row.invoice != inv.id
                    and row.begin
                    and row.through
                    and self.item_type(row.item)
                    and row.begin - DUPLICATE_LEAD <= inv.date <= row.through
                ):
                    term = f"{spoken_date(row.begin)} to {spoken_date(row.through)}"
                    words = (
                        f"Invoice {row.invoice} already bills the term {term} ({row.item}); "
                        f"this invoice bills the same member for it again, so all of it, "
                        f"{format_money(inv.billed)}, is credited."
                    )
                    breakdown = {
                        "term": {"begin": row.begin.isoformat(), "end": row.through.isoformat()},
                        "duplicate_of": row.invoice,
                        "lines": [],
                        "expected": [{"rule": "duplicate", "text": words, "amount": "0.00"}],
                    }
                    return Outcome(
                        inv,
                        "flagged",
                        "duplicate",
                        ZERO,
                        CONFIDENCE["duplicate"],
                        f"Duplicate of invoice {row.invoice} for the term {term}.",
                        breakdown,
                        member_name=member.name,
                    )
        return Outcome(inv, "skipped", reason="no lines: an earlier term's invoice")

    # -- breakdown helpers -----------------------------------------------------------------
    def _compare(self, expected, billed_lines: list[Sub], unchecked: list[Sub]) -> list[dict]:
        """Each line billed beside the line expected, matched by kind and item."""
        rows, left = [], list(billed_lines)
        for exp in expected.lines:
            match = next((li for li in left if li.item == exp.item), None)
            if match is None and exp.kind == "dues":
                match = next((li for li in left if self.item_type(li.item)), None)
            if match is None and exp.kind == "chapter":
                match = next((li for li in left if self.is_chapter(li.item)), None)
            if match is not None:
                left.remove(match)
            rows.append(
                {
                    "kind": exp.kind,
                    "item": exp.item,
                    "billed_item": match.item if match else "",
                    "billed": _text(match.billed) if match else "",
                    "expected": str(exp.amount),
                }
            )
        for li in left:
            if li in unchecked:
                rows.append(_unchecked(li))
            else:
                rows.append(
                    {
                        "kind": "chapter" if self.is_chapter(li.item) else "line",
                        "item": "",
                        "billed_item": li.item,
                        "billed": _text(li.billed),
                        "expected": "0.00",
                    }
                )
        return rows

    def _billed_lines(self, lines: list[Sub]) -> list[dict]:
        return [_unchecked(li) for li in lines]


def _flagged(inv, member, kind: str, expected, summary: str, breakdown: dict) -> Outcome:
    return Outcome(
        inv,
        "flagged",
        kind,
        expected,
        CONFIDENCE[kind],
        summary,
        breakdown,
        member_name=member.name,
    )


def _charge(policy, price: Decimal, years: int, discount: Decimal) -> Decimal:
    return calc._money(policy, calc._frac(price) * years * (1 - calc._frac(discount) / 100))


def _text(amount) -> str:
    return "" if amount is None else str(amount)


def _unchecked(li: Sub) -> dict:
    billed = _text(li.billed)
    return {
        "kind": "other",
        "item": li.item,
        "billed_item": li.item,
        "billed": billed,
        "expected": billed,
    }


def _summary(kind: str, inv: Inv, total: Decimal, expected, line: Sub) -> str:
    dues = expected.line("dues")
    what = {
        "wrong_tier": f"billed {line.item}, but the member's type is billed {dues.item}",
        "org_individual_rate": f"an organisation billed the individual item {line.item}",
        "stale_price": f"{line.item} billed at {format_money(line.billed or ZERO)}, not the "
        f"{format_money(dues.price)} in force on {spoken_date(expected.term.begin)}",
        "multi_year_discount": f"a {expected.term.years}-year term's dues billed "
        f"{format_money(line.billed or ZERO)}, not {format_money(dues.amount)}",
        "chapter_line": "the chapter line is missing, extra or at another price",
        "other_difference": "the amounts differ from the policy",
    }[kind]
    return (f"Billed {format_money(inv.billed)}, expected {format_money(total)}: {what}.")[:500]


def check_all(policy: BillingPolicy, prices: PriceBook, snapshot: Snapshot) -> list[Outcome]:
    checker = Checker(policy, prices, snapshot)
    return [checker.check(inv) for inv in snapshot.invoices]
