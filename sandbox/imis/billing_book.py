"""The billing book the sandbox's billing scenarios write into: dates and cents by the policy's
default rules, the items and their prices, invoice lines, and the pool of members a scenario
draws from. The scenarios and ``add_billing`` are in ``billing``.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from . import behaviour as bh
from .schemas import INVOICE_BASE, PARTY_BASE
from .table import DT, NAT

WINDOW_DAYS = 120
DISCOUNT = {1: 0, 2: 5, 3: 10}  # percent off the dues line (the policy's default)
FIRST_DAYS = 15  # monthly proration counts the period of a change within its first 15 days
INDIVIDUAL = [bh.REG, bh.STU, bh.RET, bh.EARLY, bh.AFF]
UPGRADES = {bh.STU: bh.EARLY, bh.EARLY: bh.REG, bh.AFF: bh.REG, bh.RET: bh.REG}
JOURNAL, NEWS = "SUB/JOURNAL", "SUB/NEWS"

# --- dates and cents -------------------------------------------------------------------


def _day(value) -> date | None:
    day = np.datetime64(value, "D")
    return None if np.isnat(day) else day.item()


def _ms(day: date) -> np.datetime64:
    return np.datetime64(day, "D").astype(DT)


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def term_end(begin: date, years: int = 1) -> date:
    return add_months(begin, 12 * years) - timedelta(days=1)


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator cents, rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def months_left(begin: date, years: int, change: date) -> int:
    """Monthly periods of the term left from ``change``, its own counted within 15 days."""
    total = 12 * years
    k = max(i for i in range(total) if add_months(begin, i) <= change)
    offset = (change - add_months(begin, k)).days
    return total - k - (0 if offset < FIRST_DAYS else 1)


# --- prices ------------------------------------------------------------------------------


class Prices:
    """The items table's prices: the one in force on a day, as the site publishes them."""

    def __init__(self, assoc):
        items = assoc.items
        cols = items.rows(np.arange(items.n), ["item_id", "price", "prev_price", "future_price"])
        future = items.col("future_date").astype("datetime64[D]")
        since = items.col("price_since").astype("datetime64[D]")
        prev = items.col("prev_since").astype("datetime64[D]")
        self.rows = {}
        for i, code in enumerate(cols["item_id"]):
            self.rows[code] = (
                (_day(prev[i]), cols["prev_price"][i]),
                (_day(since[i]), cols["price"][i]),
                (_day(future[i]), cols["future_price"][i]),
            )

    def at(self, code: str, day: date) -> int:
        best = None
        for since, cents in self.rows[code]:
            if since is not None and since <= day:
                best = cents
        if best is None:
            raise KeyError(f"no price for {code} on {day}")
        return int(best)

    def current(self, code: str) -> int:
        return int(self.rows[code][1][1])

    def future(self, code: str) -> tuple[date | None, int]:
        return self.rows[code][2][0], int(self.rows[code][2][1])


def _add_items(assoc, rng) -> None:
    year = assoc.as_of.year
    jan = [_ms(date(y, 1, 1)) for y in (year - 1, year, year + 1)]
    chapters = [code for code, _name, _states in assoc.chapters]
    priced = [c for c in chapters if rng.random() < 0.7] or chapters[:1]
    codes, names, classes, cents = [], [], [], []
    for code in priced:
        codes.append(f"CHAPT/{code}")
        names.append(f"{code.title()} Chapter Dues")
        classes.append("DUES")
        cents.append(int(rng.integers(4, 13)) * 500)
    codes += [JOURNAL, NEWS]
    names += ["Journal Subscription", "Newsletter Subscription"]
    classes += ["SUBSCRIPTION", "SUBSCRIPTION"]
    cents += [4500, 2000]
    price = np.array(cents, dtype=np.int64)
    assoc.items.append(
        item_id=np.array(codes, dtype=object),
        name=np.array(names, dtype=object),
        type_idx=-1,
        price=price,
        updated_on=jan[1],
        item_class=np.array(classes, dtype=object),
        member_type="",
        has_price=True,
        price_since=jan[1],
        prev_price=price - 500,
        prev_since=jan[0],
        future_price=price + 500,
        future_date=jan[2],
    )


# --- rows --------------------------------------------------------------------------------


@dataclass
class Line:
    item: str
    cents: int
    begin: date
    through: date
    product_type: str = "DUES"
    member_component: bool = False
    months: int = 12


class _Book:
    """What the overlay writes: invoices, their lines, and the truth of each invoice."""

    def __init__(self, assoc, rng):
        self.assoc, self.rng = assoc, rng
        self.prices = Prices(assoc)
        self.truth: list[dict] = []
        self.used = np.zeros(assoc.parties.n, dtype=bool)  # party rows given a scenario
        self.duplicated: set[int] = set()
        self.today = assoc.today
        self.window_start = self.today - timedelta(days=WINDOW_DAYS)

    # -- writes --------------------------------------------------------------------------
    def sub_line(self, party: int, line: Line, invoice_id: int, bill_to: int, bill_date: date):
        """Write (or re-point) the party's subscription row of an item to an invoice line."""
        subs = self.assoc.subscriptions
        key = f"~{PARTY_BASE + party}|{line.item}"
        join = _day(self.assoc.parties.col("join_date")[party]) or line.begin
        values = dict(
            party_id=PARTY_BASE + party,
            item=line.item,
            status="Active",
            begin_date=_ms(join),
            bill_begin=_ms(line.begin),
            bill_through=_ms(line.through),
            bill_date=_ms(bill_date),
            paid_thru=_ms(line.begin - timedelta(days=1)),
            continuous_since=_ms(join),
            date_added=_ms(bill_date),
            last_updated=_ms(bill_date) + np.timedelta64(9 * 3_600_000, "ms"),
            updated_by="MANAGER",
            cancelled_as_of=NAT,
            bill_to=PARTY_BASE + bill_to,
            invoice_id=invoice_id,
            billed=line.cents,
            paid=0,
            balance=line.cents,
            product_type=line.product_type,
            renew_months=line.months,
            member_component=line.member_component,
        )
        row = subs.find(key)
        if row is None:
            subs.append(key=key, **values)
        else:
            subs.set(row, **values)

    def invoice(
        self,
        party: int,
        lines: list[Line],
        *,
        purpose: str = "MembershipRenewal",
        bill_to: int | None = None,
        when: date | None = None,
        amount: int | None = None,
        write_lines: bool = True,
    ) -> int:
        inv = self.assoc.invoices
        bill_to = party if bill_to is None else bill_to
        when = when or self.window_start + timedelta(days=int(self.rng.integers(0, WINDOW_DAYS)))
        total = sum(li.cents for li in lines) if amount is None else amount
        dues = lines[0]
        invoice_id = INVOICE_BASE + inv.n
        inv.append(
            invoice_id=invoice_id,
            invoice_date=_ms(when),
            due_date=_ms(max(dues.begin - timedelta(days=1), when)),
            purpose=purpose,
            bill_to=PARTY_BASE + bill_to,
            sold_to=PARTY_BASE + party,
            amount=total,
            balance=total,
            description=f"Membership {dues.begin.year}-{dues.through.year}",
            item=dues.item,
            term_begin=_ms(dues.begin),
            term_end=_ms(dues.through),
            s_pay1=NAT,
            s_pay2=NAT,
            s_lapse=NAT,
            s_outcome=bh.JOIN,  # inert: advance() neither pays, reminds nor lapses it
            s_term=-1,
        )
        if write_lines:
            for li in lines:
                self.sub_line(party, li, invoice_id, bill_to, when)
        return invoice_id

    def record(self, invoice_id: int, scenario: str, expected: int, billed: int, kind: str = ""):
        self.truth.append(
            {
                "invoice_id": str(invoice_id),
                "misbilled": bool(kind),
                "kind": kind,
                "scenario": scenario,
                "expected_cents": int(expected),
                "billed_cents": int(billed),
            }
        )

    # -- what a member should be billed --------------------------------------------------
    def chapter_item(self, party: int) -> str | None:
        chapter = self.assoc.parties.get(party, "chapter")
        code = f"CHAPT/{chapter}" if chapter else ""
        return code if code in self.prices.rows else None

    def lines_for(self, party: int, type_idx: int, begin: date, years: int, *, journal=False):
        """The correct lines of a term: dues (discounted), chapter, subscriptions (per year)."""
        through = term_end(begin, years)
        dues_item = bh.ITEM_CODES[type_idx]
        price = self.prices.at(dues_item, begin)
        dues = half_up(years * price * (100 - DISCOUNT[years]), 100)
        out = [Line(dues_item, dues, begin, through, "DUES", True, 12 * years)]
        chapter = self.chapter_item(party)
        if chapter:
            out.append(Line(chapter, years * self.prices.at(chapter, begin), begin, through))
        if journal:
            cents = years * self.prices.at(JOURNAL, begin)
            out.append(Line(JOURNAL, cents, begin, through, "SUBSCRIPTION", False, 12 * years))
        return out


def _ordinary(book: _Book) -> list[int]:
    """Give every recent dues invoice its chapter (and some a journal) line; all are right."""
    assoc = book.assoc
    inv, subs, st = assoc.invoices, assoc.subscriptions, assoc.state
    day = inv.col("invoice_date").astype("datetime64[D]")
    lo, hi = np.datetime64(book.window_start), np.datetime64(book.today)
    rows = np.flatnonzero((day >= lo) & (day <= hi) & (inv.col("item") != ""))
    recent = []
    for r in rows.tolist():
        invoice_id = int(inv.col("invoice_id")[r])
        party = int(inv.col("sold_to")[r]) - PARTY_BASE
        sub = int(st.col("sub")[party])
        if sub < 0 or int(subs.col("invoice_id")[sub]) != invoice_id:
            continue  # not the member's current line: not served with lines, left out
        begin = _day(subs.col("bill_begin")[sub])
        through = _day(subs.col("bill_through")[sub])
        bill_to = int(inv.col("bill_to")[r]) - PARTY_BASE
        when = _day(inv.col("invoice_date")[r])
        extra = []
        chapter = book.chapter_item(party)
        if chapter:
            extra.append(Line(chapter, book.prices.at(chapter, begin), begin, through))
        if book.rng.random() < 0.1:
            extra.append(
                Line(JOURNAL, book.prices.at(JOURNAL, begin), begin, through, "SUBSCRIPTION")
            )
        added = 0
        for line in extra:
            book.sub_line(party, line, invoice_id, bill_to, when)
            added += line.cents
        amount = int(inv.col("amount")[r]) + added
        if added:
            settled = int(inv.col("balance")[r]) == 0
            paid = int(inv.col("paid")[r]) + (added if settled else 0)
            inv.set(r, amount=amount, paid=paid, balance=amount - paid)
        scenario = "employer_billed" if bill_to != party else "ordinary"
        book.record(invoice_id, scenario, amount, amount)
        book.used[party] = True
        recent.append(r)
    return recent


class _Pool:
    """Members free for a scenario: no recent invoice, no scenario yet."""

    def __init__(self, book: _Book, recent: list[int]):
        assoc = book.assoc
        st, parties, subs = assoc.state, assoc.parties, assoc.subscriptions
        self.book = book
        alive = st.col("alive") & (parties.col("status") == "A")
        self.begin = parties.col("paid_thru").astype("datetime64[D]") + np.timedelta64(1, "D")
        self.types = st.col("type")
        sub = st.col("sub")
        is_org = parties.col("is_org")
        base = alive & (sub >= 0) & ~np.isnat(self.begin)
        self.chapter = np.array([bool(book.chapter_item(p)) for p in range(parties.n)])
        safe = np.maximum(sub, 0)
        self.term_begin = subs.col("bill_begin").astype("datetime64[D]")[safe]
        self.term_through = subs.col("bill_through").astype("datetime64[D]")[safe]
        rng = book.rng
        self.persons = np.flatnonzero(base & ~is_org & np.isin(self.types, INDIVIDUAL))
        self.orgs = np.flatnonzero(base & is_org & (self.types == bh.CORP))
        rng.shuffle(self.persons)
        rng.shuffle(self.orgs)

    def take(self, *, org=False, lo=None, hi=None, types=None, chapter=None):
        """A free member whose next term begins within [lo, hi], of ``types``, with or without
        a priced chapter; returns (party row, next term's begin, type) or None."""
        rows = self.orgs if org else self.persons
        mask = ~self.book.used[rows]
        if lo is not None:
            mask &= self.begin[rows] >= np.datetime64(lo)
        if hi is not None:
            mask &= self.begin[rows] <= np.datetime64(hi)
        if types is not None:
            mask &= np.isin(self.types[rows], list(types))
        if chapter is not None:
            mask &= self.chapter[rows] == chapter
        hits = np.flatnonzero(mask)
        if not len(hits):
            return None
        p = int(rows[hits[0]])
        self.book.used[p] = True
        return p, self.begin[p].item(), int(self.types[p])
