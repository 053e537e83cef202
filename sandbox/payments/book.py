"""Synthetic incoming payments for a book of open invoices, each with its ground truth.

A *book* is what a payment can settle: the open invoices and the parties they are for or billed
to. It comes from a sandbox association (``book_from_association``) or, for benchmarks at a
scale the association does not reach, is drawn directly (``synthetic_book``).

``generate_payments`` draws payments the way they arrive at an association: card payments from
the member portal (Stripe, Authorize.Net), checks through a bank lockbox, ACH credits from
members' bill-pay and from employers (with RMR addenda), wires, and a spreadsheet of deposits.
What each carries is what that channel really carries (an Authorize.Net notification has no
name; a check has a name but rarely an e-mail; a bill-pay ACH puts the member id in the
individual id field). The variety is deliberate: vague or empty memos, initials, nicknames,
accents dropped by banks, "LAST, FIRST", joint accounts, spouses and employers paying, partial
and over payments, one payment for several invoices, typing errors in numbers and names, and
payments that belong to no one. ``files`` renders them as CSV, BAI2, signed Stripe
events and signed Authorize.Net notifications.

Ground truth per payment: the member it was meant for ("" when it is not ours) and the
allocation a careful finance clerk would make (invoice id -> cents applied), plus credit.
Same inputs, same payments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from sandbox.imis import names as nm


@dataclass(frozen=True, slots=True)
class BookParty:
    party_id: str
    is_org: bool
    first: str = ""
    last: str = ""
    middle: str = ""
    prefix: str = ""
    suffix: str = ""
    informal: str = ""
    org_name: str = ""  # the organisation's own name (is_org) or the employer's name
    org_id: str = ""  # a person's employer
    email: str = ""
    postal: str = ""
    former: tuple[str, ...] = ()  # surnames the person was known by before (a maiden name)

    @property
    def name(self) -> str:
        if self.is_org:
            return self.org_name
        return " ".join(x for x in (self.first, self.last) if x)


@dataclass(frozen=True, slots=True)
class BookInvoice:
    invoice_id: str
    number: str
    member_id: str  # sold to
    payer_id: str  # bill to
    balance: int  # cents
    invoice_date: date
    description: str = ""


@dataclass
class Book:
    parties: dict[str, BookParty]
    invoices: list[BookInvoice]
    # member -> the relative who usually pays their dues (party_id "" when not on file)
    relatives: dict[str, BookParty] = field(default_factory=dict)
    by_member: dict[str, list[BookInvoice]] = field(default_factory=dict)
    by_payer: dict[str, list[BookInvoice]] = field(default_factory=dict)
    employees: dict[str, list[str]] = field(default_factory=dict)
    profile: str = "default"  # "b": names written further from the record (profile_b)

    def __post_init__(self) -> None:
        for inv in self.invoices:
            self.by_member.setdefault(inv.member_id, []).append(inv)
            self.by_payer.setdefault(inv.payer_id, []).append(inv)
        for party in self.parties.values():
            if party.org_id and not party.is_org:
                self.employees.setdefault(party.org_id, []).append(party.party_id)


@dataclass(frozen=True, slots=True)
class PastDuesPayment:
    """A dues payment of the cycle before, as the association's records keep it."""

    member_id: str
    payer_id: str  # the party who paid; "" when the payer is not on file
    payer_name: str  # as the payment wrote it
    email: str
    method: str
    paid_on: date
    amount: int  # cents


@dataclass(frozen=True, slots=True)
class IncomingPayment:
    """One payment as its channel carries it, and what it was really for."""

    payment_id: str
    channel: str  # stripe | authorizenet | bai2 | csv
    method: str  # card | ach | check | wire | other
    received_on: date
    amount: int  # cents
    payer_name: str
    email: str
    memo: str
    reference: str
    check_number: str = ""
    scenario: str = ""
    truth_member: str = ""  # "" when the payment belongs to no one
    truth_allocations: tuple[tuple[str, int], ...] = ()  # (invoice id, cents)
    truth_credit: int = 0  # cents left on account
    payer_postal: str = ""  # a card payment's billing postal code

    @property
    def ours(self) -> bool:
        return bool(self.truth_member)


# --- books ----------------------------------------------------------------------------------


def book_from_association(assoc) -> Book:
    """The association's open invoices and the parties they concern."""
    inv = assoc.invoices
    rows = [i for i, b in enumerate(inv.col("balance").tolist()) if b > 0]
    cols = inv.rows(rows, ["invoice_id", "invoice_date", "bill_to", "sold_to", "balance"])
    descriptions = [inv.get(r, "description") for r in rows]
    invoices = [
        BookInvoice(
            invoice_id=str(cols["invoice_id"][k]),
            number=str(cols["invoice_id"][k]),
            member_id=str(cols["sold_to"][k]),
            payer_id=str(cols["bill_to"][k]),
            balance=int(cols["balance"][k]),
            invoice_date=date.fromisoformat(cols["invoice_date"][k][:10]),
            description=descriptions[k],
        )
        for k in range(len(rows))
    ]
    p = assoc.parties
    cols = p.rows(
        range(p.n),
        [
            *("party_id", "is_org", "first", "last", "middle", "prefix", "suffix", "informal"),
            *("org_name", "primary_org", "email", "postal", "former_last"),
        ],
    )
    org_names = {
        str(pid): name
        for pid, name, is_org in zip(
            cols["party_id"], cols["org_name"], cols["is_org"], strict=True
        )
        if is_org
    }
    parties = {}
    for k in range(p.n):
        pid = str(cols["party_id"][k])
        employer = str(cols["primary_org"][k]) if cols["primary_org"][k] else ""
        parties[pid] = BookParty(
            party_id=pid,
            is_org=bool(cols["is_org"][k]),
            first=cols["first"][k],
            last=cols["last"][k],
            middle=cols["middle"][k],
            prefix=cols["prefix"][k],
            suffix=cols["suffix"][k],
            informal=cols["informal"][k],
            org_name=cols["org_name"][k] if cols["is_org"][k] else org_names.get(employer, ""),
            org_id=employer,
            email=cols["email"][k],
            postal=cols["postal"][k] or "",
            former=(cols["former_last"][k],) if cols["former_last"][k] else (),
        )
    return Book(parties, invoices)


def _split(text: str) -> list[str]:
    return text.split()


# Surnames beyond the sandbox pool, so a large book has the long tail real books have.
_SURNAME_HEADS = _split(
    "Ash Black Brad Carl Dal Fair Hart Hol Kings Lang Mor Pem Ran Stan Thorn Wes Whit Wood "
    "Bram Crane Dun Eller Fen Gold Hal Ire Kel Lind Marsh New Oak Pres Quen Rad Sel Tal Ul Ver "
    "Wins Yar Ald Bex Cor Dray Esk Farn Grim Hux"
)
_SURNAME_TAILS = _split(
    "ley ton well wood field ford man son by more worth stone er ridge ham dale ing wick "
    "cott bury hurst low mont ner rick sted thwaite"
)
_SURNAME_MIDS = _split("a e i o en er in an el ing")
EXTRA_FIRST_NAMES = _split(
    "Aaron Abigail Adrian Alice Alicia Allison Alyssa Amber Andrea Angel Austin Beatriz Benjamin "
    "Bradley Brenda Caleb Cameron Carmen Caroline Cody Colin Connor Craig Crystal Dana Darius "
    "Dennis Derek Diana Diego Dylan Eduardo Elena Ellen Emma Erin Ethan Evan Felix Fernando Frank "
    "Gabriel Gloria Grace Hannah Harold Heather Helen Henry Ian Irene Isaac Jack Jacqueline Jamal "
    "Janet Jasmine Javier Jeffrey Jeremy Jesse Joan Jordan Joyce Julia Julian Kayla Keith Kelly "
    "Kenji Kyle Leah Leon Leonard Lillian Logan Lucas Luis Madison Marcus Maria Marilyn Martin "
    "Megan Nathan Nicole Noah Norma Olivia Oscar Pamela Peter Philip Rachel Ralph Raymond Rita "
    "Roger Rosa Ruth Samuel Sean Shirley Simon Sofia Tanya Teresa Tyler Victor Victoria Vincent "
    "Walter Wayne Yuki Yusuf Zachary"
)
PRICES = {"REG": 31500, "EARLY": 14500, "STU": 6000, "RET": 9500, "AFF": 8500, "CORP": 125000}
_PRICE_WEIGHTS = {"REG": 0.55, "EARLY": 0.15, "STU": 0.09, "RET": 0.09, "AFF": 0.12}


def _zipf_choice(rng: random.Random, pool: list[str], skew: float = 0.9):
    """Pick from a pool where earlier entries are more common (as real name frequencies are)."""
    cumulative = list(accumulate(1 / (i + 1) ** skew for i in range(len(pool))))
    return lambda: rng.choices(pool, cum_weights=cumulative)[0]


def synthetic_book(
    open_invoices: int = 100_000,
    seed: int = 1,
    as_of: date = date(2025, 6, 30),
    profile: str = "default",
) -> Book:
    """A book with about ``open_invoices`` open invoices, drawn directly (for benchmarks).

    Persons and employers with the sandbox's name pools plus a long tail of surnames (the most
    common surname about 1 % of people, as Smith is in the US); some
    employers are billed for their employees; a few members owe two years; look-alike
    duplicate records; some balances left over from earlier partial payments. ``profile="b"``
    writes names further from the record (``profile_b``).
    """
    rng = random.Random(seed * 7919 + open_invoices)
    shuffled_last = list(nm.LAST_NAMES)
    rng.shuffle(shuffled_last)
    tail = [h + t for h in _SURNAME_HEADS for t in _SURNAME_TAILS]
    tail += [h + m + t for h in _SURNAME_HEADS for m in _SURNAME_MIDS for t in _SURNAME_TAILS]
    rng.shuffle(tail)
    pick_common = _zipf_choice(rng, shuffled_last, 0.3)
    pick_tail = _zipf_choice(rng, tail, 0.4)
    firsts = list(nm.FIRST_NAMES) + EXTRA_FIRST_NAMES
    rng.shuffle(firsts)
    pick_first = _zipf_choice(rng, firsts, 0.5)
    n_persons = int(open_invoices * 0.92)
    n_orgs = max(4, n_persons // 25)
    parties: dict[str, BookParty] = {}
    next_id = 10001
    org_ids = []
    for k in range(n_orgs):
        core = rng.choice(nm.ORG_CORES)
        kind = rng.choice(nm.ORG_KINDS)
        form = rng.choice(nm.ORG_FORMS)
        name = f"{core} {kind} {form}".strip()
        if k >= len(nm.ORG_CORES) * 3:
            name = f"{rng.choice(tail)} {kind} {form}".strip()
        pid = str(next_id)
        next_id += 1
        parties[pid] = BookParty(
            pid, True, org_name=name, email=f"info@{nm.ascii_fold(name.split()[0])}.example.org"
        )
        org_ids.append(pid)
    paying_orgs = set(rng.sample(org_ids, max(2, len(org_ids) * 3 // 10)))
    invoices: list[BookInvoice] = []
    next_inv = 300001
    year = as_of.year

    def bill(member: str, payer: str, tier: str, when: date, balance: int | None = None):
        nonlocal next_inv
        price = PRICES[tier] - (1000 if when.year < year else 0)
        inv_id = str(next_inv)
        next_inv += 1
        invoices.append(
            BookInvoice(inv_id, inv_id, member, payer, balance or price, when, f"Dues {tier}")
        )

    tiers = list(_PRICE_WEIGHTS)
    tier_weights = list(_PRICE_WEIGHTS.values())
    twins: dict[str, str] = {}  # look-alike record -> the person's own
    for _ in range(n_persons):
        first = pick_first()
        last = pick_common() if rng.random() < 0.15 else pick_tail()
        employer = rng.choice(org_ids) if rng.random() < 0.4 else ""
        pid = str(next_id)
        next_id += 1
        fold_first, fold_last = nm.ascii_fold(first), nm.ascii_fold(last)
        domain = (
            nm.ascii_fold(parties[employer].org_name.split()[0]) + ".example.org"
            if employer and rng.random() < 0.6
            else rng.choice(nm.EMAIL_DOMAINS)
        )
        style = rng.randrange(4)
        local = (
            f"{fold_first}.{fold_last}",
            f"{fold_first}{fold_last}{rng.randrange(1, 99)}",
            f"{fold_first[:1]}{fold_last}",
            f"{fold_first}_{fold_last}",
        )[style]
        party = BookParty(
            pid,
            False,
            first=first,
            last=last,
            middle=rng.choice(nm.MIDDLE_INITIALS) + "." if rng.random() < 0.35 else "",
            prefix=rng.choices(nm.PREFIXES, nm.PREFIX_WEIGHTS)[0],
            suffix=rng.choices(nm.SUFFIXES, nm.SUFFIX_WEIGHTS)[0],
            informal=nm.NICKNAMES.get(first, first) if rng.random() < 0.5 else first,
            org_name=parties[employer].org_name if employer else "",
            org_id=employer,
            email=f"{local}@{domain}" if rng.random() < 0.95 else "",
        )
        parties[pid] = party
        if rng.random() < 0.01:
            # A look-alike second record of the same person (an old event sign-up).
            dup = str(next_id)
            next_id += 1
            twins[dup] = pid
            parties[dup] = BookParty(
                dup,
                False,
                first=nm.LOOKALIKE_FIRST.get(first, first),
                last=nm.LOOKALIKE_LAST.get(last, last),
                email=party.email if rng.random() < 0.4 else "",
            )
            if rng.random() < 0.5:
                bill(dup, dup, "AFF", as_of - timedelta(days=rng.randrange(10, 200)))
        tier = rng.choices(tiers, tier_weights)[0]
        payer = employer if employer in paying_orgs and rng.random() < 0.6 else pid
        when = as_of - timedelta(days=rng.randrange(5, 240))
        leftover = None
        if rng.random() < 0.07:
            leftover = PRICES[tier] - rng.choice([5000, 10000, 15000, PRICES[tier] // 2])
            leftover = max(leftover, 1000)
        bill(pid, payer, tier, when, leftover)
        if rng.random() < 0.05:
            bill(pid, payer, tier, when - timedelta(days=365))
    for org in org_ids:
        if rng.random() < 0.3:
            bill(org, org, "CORP", as_of - timedelta(days=rng.randrange(5, 240)))
    # Addresses and households from a stream of their own: the book above stays as it was.
    from .history import add_households

    relatives = add_households(parties, twins, seed=seed, next_id=next_id)
    book = Book(parties, invoices, relatives)
    if profile == "b":
        from .profile_b import harden_book

        return harden_book(book, seed=seed)
    return book


def generate_payments(
    book: Book, count: int, *, seed: int = 1, as_of: date = date(2025, 6, 30)
) -> list[IncomingPayment]:
    """``count`` payments against ``book`` with their ground truth (deterministic)."""
    from .draw import generate_payments as draw

    return draw(book, count, seed=seed, as_of=as_of)


def payment_history(
    book: Book, *, seed: int = 1, as_of: date = date(2025, 6, 30)
) -> list[PastDuesPayment]:
    """Last cycle's dues payments of the book's members (see ``history.payment_history``)."""
    from .history import payment_history as draw

    return draw(book, seed=seed, as_of=as_of)


def clerk_allocation(
    invoices: list[BookInvoice], amount: int, named: list[BookInvoice]
) -> tuple[list[tuple[str, int]], int]:
    """How a careful clerk applies ``amount`` to a member's open invoices (oldest first).

    Named invoices first, in the order named; the rest to an invoice it equals exactly (the
    oldest), else to all if it equals their total, else oldest first; what remains is credit.
    """
    alloc: list[tuple[str, int]] = []
    left = amount
    named_ids = []
    for inv in named:
        if inv.invoice_id in named_ids or left <= 0:
            continue
        take = min(inv.balance, left)
        alloc.append((inv.invoice_id, take))
        named_ids.append(inv.invoice_id)
        left -= take
    rest = [i for i in invoices if i.invoice_id not in named_ids]
    if left > 0 and rest:
        exact = [i for i in rest if i.balance == left]
        if exact:
            alloc.append((exact[0].invoice_id, left))
            left = 0
        else:
            for inv in rest:
                if left <= 0:
                    break
                take = min(inv.balance, left)
                alloc.append((inv.invoice_id, take))
                left -= take
    return alloc, left
