"""Billing scenarios on a generated association, with the sandbox's own ground truth.

``add_billing(association)`` gives the site what a dues desk checks invoices against, and
invoices to check:

- chapter dues items (``CHAPT/<chapter>``) for most chapters and two subscription items, each
  with a price, last year's price and a future price from next January 1;
- on every recent dues invoice (dated within ``WINDOW_DAYS``), the member's chapter line, and
  for some members a journal subscription line, so the ordinary invoices are right;
- new invoices mis-billed in each way the desk looks for (``KINDS``), and new ones that look
  unusual but are right (``UNUSUAL``): a multi-year term with the right discount, a correctly
  prorated tier change, a term beginning on a price's effective date; members billed to their
  employer at their own type's price are already among the ordinary invoices.

The truth (``association.truth.billing``) is one row per recent dues invoice: whether it is
mis-billed, its kind, the scenario, and the expected amount in cents, worked out here by the
policy's default rules (anniversary terms, monthly proration counting a change within the first
15 days of a period, 5 % off two years and 10 % off three, chapter dues and subscriptions per
year at their own price, half-up rounding) in integer cents: the sandbox never imports the
product, so this arithmetic is a second, independent reading of billing-policy.md.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import behaviour as bh
from .billing_book import (
    INDIVIDUAL,
    UPGRADES,
    Line,
    _add_items,
    _Book,
    _day,
    _ms,
    _ordinary,
    _Pool,
    half_up,
    months_left,
)
from .schemas import PARTY_BASE

KINDS = (
    "wrong_tier",
    "stale_price",
    "org_individual_rate",
    "duplicate",
    "chapter_line",
    "multi_year_discount",
    "tier_change_not_prorated",
    "other_difference",
)
UNUSUAL = ("multi_year", "tier_change", "price_effective_date")


def add_billing(assoc, *, rate: float = 0.01, seed: int | None = None) -> pd.DataFrame:
    """Apply the billing scenarios once; returns the truth (also ``assoc.truth.billing``).

    ``rate``: share of the recent dues invoices that each mis-billing kind (and each unusual
    but right case) adds, at least two of each.
    """
    if getattr(assoc.truth, "billing", None) is not None:
        return assoc.truth.billing
    rng = np.random.default_rng([assoc.seed if seed is None else seed, assoc.members, 1515])
    with assoc.lock:
        _add_items(assoc, rng)
        book = _Book(assoc, rng)
        recent = _ordinary(book)
        count = max(2, round(rate * max(len(recent), 1)))
        pool = _Pool(book, recent)
        for kind in (*KINDS, *UNUSUAL):
            for _ in range(count):
                SCENARIOS[kind](book, pool)
        assoc.truth.billing = pd.DataFrame(
            book.truth,
            columns=[
                "invoice_id",
                "misbilled",
                "kind",
                "scenario",
                "expected_cents",
                "billed_cents",
            ],
        )
    return assoc.truth.billing


# --- scenarios -----------------------------------------------------------------------------


def _renewal(book, pool, *, years=1, **take):
    found = pool.take(**take)
    if found is None:
        return None
    party, begin, type_idx = found
    lines = book.lines_for(party, type_idx, begin, years, journal=book.rng.random() < 0.2)
    return party, begin, type_idx, lines


def _bill_wrong(book, party, right, wrong, kind, **kw):
    """An invoice whose lines are ``wrong``, checked against the ``right`` lines."""
    invoice_id = book.invoice(party, wrong, **kw)
    book.record(
        invoice_id, kind, sum(li.cents for li in right), sum(li.cents for li in wrong), kind
    )


def wrong_tier(book, pool):
    found = _renewal(book, pool)
    if found:
        party, begin, t, right = found
        other = int(book.rng.choice([x for x in INDIVIDUAL if x != t]))
        wrong = book.lines_for(party, other, begin, 1)
        _bill_wrong(book, party, right, [wrong[0], *right[1:]], "wrong_tier")


def stale_price(book, pool):
    """The price before the change for a term beginning on or after it, or the reverse."""
    changed = {
        t
        for t in INDIVIDUAL
        if book.prices.future(bh.ITEM_CODES[t])[1] != book.prices.current(bh.ITEM_CODES[t])
    }
    if not changed:
        return
    effective = book.prices.future(bh.ITEM_CODES[bh.REG])[0]
    after = book.rng.random() < 0.6
    if after:
        found = _renewal(book, pool, types=changed, lo=effective)
    else:
        day = timedelta(days=1)
        found = _renewal(book, pool, types=changed, lo=book.today + day, hi=effective - day)
    if found:
        party, _begin, t, right = found
        code = bh.ITEM_CODES[t]
        stale = book.prices.current(code) if after else book.prices.future(code)[1]
        dues = right[0]
        wrong = Line(dues.item, stale, dues.begin, dues.through, "DUES", True)
        _bill_wrong(book, party, right, [wrong, *right[1:]], "stale_price")


def org_individual_rate(book, pool):
    found = _renewal(book, pool, org=True)
    if found:
        party, begin, _t, right = found
        individual = int(book.rng.choice([bh.REG, bh.AFF]))
        wrong = book.lines_for(party, individual, begin, 1)
        _bill_wrong(book, party, right, [wrong[0], *right[1:]], "org_individual_rate")


def duplicate(book, pool):
    """A second invoice for a term already billed: same amount, a few days later, no lines."""
    assoc = book.assoc
    inv = assoc.invoices
    truth = [t for t in book.truth if t["scenario"] in ("ordinary", "employer_billed")]
    for _ in range(50):
        if not truth:
            return
        pick = truth[int(book.rng.integers(len(truth)))]
        row = inv.find(int(pick["invoice_id"]))
        party = int(inv.col("sold_to")[row]) - PARTY_BASE
        if party not in book.duplicated:
            break
    else:
        return
    book.duplicated.add(party)
    first = _day(inv.col("invoice_date")[row])
    when = min(first + timedelta(days=int(book.rng.integers(1, 21))), book.today)
    amount = int(inv.col("amount")[row])
    line = Line(inv.get(row, "item"), amount, _day(inv.col("term_begin")[row]), first)
    invoice_id = book.invoice(
        party,
        [line],
        purpose=inv.get(row, "purpose"),
        bill_to=int(inv.col("bill_to")[row]) - PARTY_BASE,
        when=when,
        write_lines=False,
    )
    book.record(invoice_id, "duplicate", 0, amount, "duplicate")


def chapter_line(book, pool):
    variant = int(book.rng.integers(3))
    found = _renewal(book, pool, chapter=variant != 2)
    if not found:
        return
    party, begin, _t, right = found
    dues, rest = right[0], [li for li in right[1:] if not li.item.startswith("CHAPT/")]
    chapters = [c for c in book.prices.rows if c.startswith("CHAPT/")]
    own = book.chapter_item(party)
    if variant == 0:  # the chapter line left off
        wrong = [dues, *rest]
    else:  # another chapter's line (the member's chapter has none, or a different one)
        others = [
            c
            for c in chapters
            if c != own and book.prices.at(c, begin) != (book.prices.at(own, begin) if own else -1)
        ]
        if not others:
            return
        other = others[int(book.rng.integers(len(others)))]
        wrong = [dues, Line(other, book.prices.at(other, begin), begin, dues.through), *rest]
    _bill_wrong(book, party, right, wrong, "chapter_line")


def multi_year_discount(book, pool):
    years = int(book.rng.choice([2, 3]))
    found = _renewal(book, pool, years=years)
    if found:
        party, begin, _t, right = found
        dues = right[0]
        price = book.prices.at(dues.item, begin)
        percent = 0 if years == 2 or book.rng.random() < 0.5 else 5
        cents = half_up(years * price * (100 - percent), 100)
        wrong = Line(dues.item, cents, dues.begin, dues.through, "DUES", True, 12 * years)
        _bill_wrong(book, party, right, [wrong, *right[1:]], "multi_year_discount")


def other_difference(book, pool):
    found = _renewal(book, pool)
    if found:
        party, _begin, _t, right = found
        dues = right[0]
        delta = int(book.rng.choice([-1, 1])) * int(book.rng.integers(1, 9)) * 777
        wrong = Line(
            dues.item, max(dues.cents + delta, 100), dues.begin, dues.through, "DUES", True
        )
        _bill_wrong(book, party, right, [wrong, *right[1:]], "other_difference")


def _tier_change(book, pool, *, prorated: bool):
    """A member moves up a tier mid-term: the old line ends the day before, the new line bills
    the rest of the term (prorated, or wrongly the full new price)."""
    assoc = book.assoc
    subs, st = assoc.subscriptions, assoc.state
    # Terms that began this year: last year's prices are not what every site publishes.
    rows = pool.persons
    today = np.datetime64(book.today)
    mask = (
        ~book.used[rows]
        & np.isin(pool.types[rows], list(UPGRADES))
        & (pool.term_begin[rows] >= np.datetime64(date(book.today.year, 1, 1)))
        & (pool.term_begin[rows] + np.timedelta64(20, "D") < today)
        & (pool.term_through[rows] > today)
    )
    hits = np.flatnonzero(mask)
    if not len(hits):
        return
    p = int(rows[hits[0]])
    book.used[p] = True
    sub = int(st.col("sub")[p])
    begin, through = pool.term_begin[p].item(), pool.term_through[p].item()
    first = max(begin + timedelta(days=20), book.window_start)
    old, new = int(pool.types[p]), UPGRADES[int(pool.types[p])]
    change = first + timedelta(days=int(book.rng.integers(0, (book.today - first).days + 1)))
    old_price = book.prices.at(bh.ITEM_CODES[old], begin)
    new_price = book.prices.at(bh.ITEM_CODES[new], begin)
    net = half_up((new_price - old_price) * months_left(begin, 1, change), 12)
    billed = net if prorated else new_price
    line = Line(bh.ITEM_CODES[new], billed, change, through, "DUES", True)
    subs.set(sub, status="Inactive", bill_through=_ms(change - timedelta(days=1)))
    stamp = _ms(change) + np.timedelta64(10 * 3_600_000, "ms")
    assoc.parties.set(p, ctype=bh.TYPE_CODES[new], updated_on=stamp)
    invoice_id = book.invoice(p, [line], purpose="MembershipChange", when=change)
    st.set(p, type=new, sub=subs.find(f"~{PARTY_BASE + p}|{line.item}"))
    kind = "" if prorated else "tier_change_not_prorated"
    book.record(invoice_id, "tier_change" if prorated else kind, net, billed, kind)


def tier_change_not_prorated(book, pool):
    _tier_change(book, pool, prorated=False)


def tier_change(book, pool):
    _tier_change(book, pool, prorated=True)


def multi_year(book, pool):
    found = _renewal(book, pool, years=int(book.rng.choice([2, 3])))
    if found:
        party, _begin, _t, right = found
        invoice_id = book.invoice(party, right)
        total = sum(li.cents for li in right)
        book.record(invoice_id, "multi_year", total, total)


def price_effective_date(book, pool):
    """A term beginning on the day the future price takes effect, billed at it."""
    effective = book.prices.future(bh.ITEM_CODES[bh.REG])[0]
    found = _renewal(book, pool, lo=effective, hi=effective)
    if found:
        party, _begin, _t, right = found
        invoice_id = book.invoice(party, right)
        total = sum(li.cents for li in right)
        book.record(invoice_id, "price_effective_date", total, total)


SCENARIOS = {
    "wrong_tier": wrong_tier,
    "stale_price": stale_price,
    "org_individual_rate": org_individual_rate,
    "duplicate": duplicate,
    "chapter_line": chapter_line,
    "multi_year_discount": multi_year_discount,
    "tier_change_not_prorated": tier_change_not_prorated,
    "other_difference": other_difference,
    "multi_year": multi_year,
    "tier_change": tier_change,
    "price_effective_date": price_effective_date,
}
