"""Match an incoming payment to open invoices: ranked candidates with a calibrated confidence.

Pure functions over plain records (no ORM): ``build_index`` once over the open invoices, the
parties and (optionally) past dues payments, then ``match`` each remittance. How it decides:

1. **Blocking**: accounts (parties whose open invoices a payment could settle) are gathered only
   from evidence: invoice and member numbers read from memo and reference (exact, or one
   keystroke away from an existing id; a card payment's portal reference taken as written), the
   payer's e-mail, the payer's name (surname with first initial, surnames one typing error away,
   distinctive words of organisation names), whom the payer is known to pay for (a person on
   file living with the member: same surname and postal code; a payer name, e-mail or party
   that paid the member's dues before: ``matching_links``) and, when nothing else identifies
   anyone, a small bucket of invoices whose balance equals the amount.
2. **Allocation** per account: invoices named in the memo first; else an invoice whose balance
   equals the amount; else a bounded subset sum over the account's invoices (one payer's several
   invoices, or an organisation paying for its employees); else partial or over (credit).
3. **Scoring**: a likelihood ratio per piece of evidence (how much likelier it is when this
   candidate is right than for a random payment), with name and amount frequencies taken from
   the book itself, so a common name or the standard dues amount counts for little. Candidates
   compete with each other and with "none of these" (a payment that is not ours, or belongs to
   someone the evidence does not point to) in one normalisation, so two look-alike members split
   the probability and a payment that fits no one gets a low confidence.
4. **Calibration**: the posterior goes through a monotone map fitted on labelled sandbox
   payments (``CALIBRATION``), giving the confidence shown to finance staff. Candidates of equal
   score are shown newest invoice first, the same way every time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from common.money import CENT, to_money

from . import matching_index as mi
from . import matching_links as ml
from . import matching_text as tx
from .matching_alloc import Hypothesis, allocate
from .matching_index import MatchIndex


@dataclass(frozen=True, slots=True)
class Remittance:
    """One incoming payment as matching sees it."""

    amount: Decimal
    payer_name: str = ""
    email: str = ""
    memo: str = ""
    reference: str = ""
    received_on: date | None = None
    method: str = ""  # card | ach | check | wire | other
    payer_postal_code: str = ""  # the payer's address as the payment gives it (card billing)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An open invoice: member_id is who it is for (sold to), payer_id who is billed (bill to)."""

    invoice_id: str
    number: str
    member_id: str
    payer_id: str
    balance: Decimal
    invoice_date: date | None


@dataclass(frozen=True, slots=True)
class Party:
    """A person or organisation; org_id/org_name name a person's employer."""

    party_id: str
    name: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    org_id: str = ""
    org_name: str = ""
    is_org: bool = False
    informal_name: str = ""
    postal_code: str = ""  # with the surname, who lives together (a household)


@dataclass(frozen=True, slots=True)
class PastPayment:
    """A dues payment applied before: for which member, and who paid it as the payment said
    (the product's applied payments), or the party billed or paying (the mirror's history)."""

    member_id: str
    payer_name: str = ""
    email: str = ""
    payer_id: str = ""
    paid_on: date | None = None


@dataclass(frozen=True)
class Candidate:
    """One way to apply the payment.

    ``member_id`` is the member whose invoices are paid (the paying account when the invoices
    belong to several members, e.g. an organisation paying for its employees); ``payer_id`` is
    the party billed for them.
    """

    member_id: str
    payer_id: str
    allocations: tuple[tuple[str, Decimal], ...]  # (invoice_id, amount applied)
    credit: Decimal  # overpayment left on account
    shortfall: Decimal  # still owed on the allocated invoices
    confidence: float  # calibrated probability that this candidate is right
    explanation: str
    signals: dict = field(default_factory=dict)


# --- model constants ------------------------------------------------------------------------
# P(observation | candidate right); how likely it is for a random payment comes from the book.
P_NOT_OURS = 0.03  # prior share of payments that settle no open invoice
P_OTHER_PURPOSE = 0.04  # a member paying for something else (event, donation, order)
OTHER_PURPOSE_MEMO = 1000.0  # the memo says so ("conference registration"): rare on dues
P_NAME = {"full": 0.55, "initial": 0.12, "fuzzy": 0.05, "last_only": 0.06, "org": 0.6}
P_NAME_TYPO = 0.03  # a name written with one typing error
# Someone else paying whom the association knows: a person on file at the member's postal code
# with the member's surname, or a payer (name, e-mail, party) who paid the member's dues before;
# a factor on how well the payer's name fits that person, as for the member's own name.
P_HOUSEHOLD = 0.2
P_PAID_BEFORE = 0.8
P_EMAIL_BEFORE = 0.7
# The payer's (card billing) postal code is the member's: the member pays from home, or someone
# living with them does; people move, and pay with a card billed elsewhere.
P_POSTAL_SAME = 0.85
P_NAME_IN_MEMO = 0.25  # the memo names the member (an employer's or relative's payment)
P_NAME_UNRELATED = 0.1  # the name is someone unrelated (a parent, an unknown employer)
LR_MEMO_NAMES_ANOTHER = 0.1  # the memo names another candidate's member ("for Fernando")
P_EMAIL_EXACT = 0.85
P_EMAIL_DOMAIN = 0.3
P_EMAIL_OTHER = 0.35
P_AMOUNT_EXACT = 0.8
P_AMOUNT_STATEMENT = 0.4  # an organisation paying everything billed to it
P_AMOUNT_ALL = 0.05  # a member paying all their open invoices at once
P_AMOUNT_SUBSET = 0.03  # some of an organisation's invoices, found by their sum
P_ROUND_AMOUNT = 0.002  # background: share of payments of one given whole-dollar amount
P_ODD_AMOUNT = 0.0003  # ... of one given amount with cents or odd dollars
P_OTHER_ROUND = 0.01  # a payment for something else: chance of one given round amount
P_OTHER_ODD = 0.001
# Share of payments that are partial, over, or both, for their invoices; a payer who wrote the
# invoice number mostly pays what it says.
P_MISMATCH = {"partial": 0.05, "over": 0.03, "split": 0.02}
NAMED_MISMATCH = 0.3
# What such a payment's amount is, given what was owed: half of it, one of the prices the
# association bills (the renewal form's price paid over a smaller balance), or a round amount
# near the balance (a round number, a fee deducted), less likely the further it is.
P_MISMATCH_HALF = 0.1
P_MISMATCH_PRICE = 0.1
P_MISMATCH_NEAR = 0.5  # spread over $5 steps from the balance as 1/steps
ID_EXACT = 3.8  # log-odds an exact id in the memo adds beyond the prior (typing errors ~2 %)
ID_PORTAL = 7.0  # an invoice number the member portal put in a card payment's reference
ID_UNSURE = 1.8  # same for a year-like number, or an id of the kind the words did not announce
ID_TYPO = 0.0  # same for an id one keystroke from the number read, shared among such ids
ID_MORE = 1.0  # each further invoice of the same candidate named in the memo
LR_OTHER_ID = 0.05  # the memo names an existing id that is not this candidate's
SUBSET_MAX_INVOICES = 24
SUBSET_MAX_STATES = 20_000
BUCKET_MAX = 30  # amount-only blocking only when this few invoices share the amount
MAX_ACCOUNTS = 40
# Calibration: a monotone map from the model's posterior log-odds to the share of payments
# whose best candidate was right, fitted by isotonic regression on labelled sandbox payments of
# another seed (bench/matching.py --fit-calibration): knots (log-odds, probability),
# interpolated linearly between, flat beyond the ends.
CALIBRATION: tuple[tuple[float, float], ...] = (
    (-10.0, 0.0061),
    (-4.5, 0.02857),
    (-3.5, 0.26316),
    (-2.5, 0.28125),
    (-1.5, 0.66667),
    (-0.5, 0.68387),
    (0.5, 0.86301),
    (1.5, 0.94615),
    (2.5, 0.95588),
    (3.5, 0.99336),
    (10.0, 0.99988),
)
DEFAULT_AUTO_THRESHOLD = 0.98


def build_index(
    invoices: Iterable[OpenInvoice],
    parties: Iterable[Party],
    history: Iterable[PastPayment] = (),
) -> MatchIndex:
    """Index open invoices, parties and past payments for ``match`` (one pass over each)."""
    return mi.build(invoices, parties, history)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


@dataclass(slots=True)
class _Evidence:
    """What the remittance says, read once."""

    cents: int
    payer: tx.PayerName
    email: str
    numbers: list[str]  # digits of every number read, for typing-error checks per candidate
    variants: frozenset[str]  # every number one keystroke from one of them
    memo_words: frozenset[str]
    memo_text: str  # memo and reference words without numbers, for names in the memo
    inv_refs: dict[int, tuple[str, float, int]]  # row -> (exact|typo, log-odds, position)
    party_refs: dict[str, tuple[str, float]]
    exact_ids: set[str]  # numbers that exactly name an existing invoice or party
    rmr_paid: dict[int, int]  # row -> cents the ACH addenda says were paid on it
    # number -> (chance of the existing ids one keystroke away, of a typical variant)
    neighbours: dict[str, tuple[float, float]]
    # member -> (how the payer is linked to them, likelihood ratio, explanation): someone
    # living with them or who paid their dues before
    linked: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    postal: str = ""  # the payer's postal code, compared as the post office means it


def match(remittance: Remittance, index: MatchIndex, *, limit: int = 5) -> list[Candidate]:
    """Candidates for one payment, best first (at most ``limit``)."""
    ev = _read(remittance, index)
    if ev.cents <= 0:
        return []
    hypotheses: dict[frozenset, Hypothesis] = {}
    for account in _block(ev, index):
        for hyp in _allocations(ev, index, account):
            _score(ev, index, hyp)
            key = frozenset(r for r, _ in hyp.alloc)
            if key not in hypotheses or hypotheses[key].score < hyp.score:
                hypotheses[key] = hyp
    # Two ways the payment settles none of these: it is not ours at all, or it comes from one
    # of these people for something else (an event, a donation) - as likely as who paid is.
    _memo_names_another(ev, index, hypotheses.values())
    unrelated = _unrelated_amount(index, ev.cents)
    if ev.memo_words & tx.OTHER_PURPOSE:
        unrelated *= OTHER_PURPOSE_MEMO
    null = math.log(P_NOT_OURS / (1 - P_NOT_OURS) * unrelated + _unlisted_mass(ev))
    ranked = sorted(hypotheses.values(), key=lambda h: _rank(index, h))
    others = [null]
    if ranked:
        others.append(math.log(P_OTHER_PURPOSE * unrelated) + max(h.who for h in ranked))
    top = max([*others, *(h.score for h in ranked)])
    total = sum(math.exp(o - top) for o in others) + sum(math.exp(h.score - top) for h in ranked)
    posteriors = [math.exp(h.score - top) / total for h in ranked]
    if not posteriors:
        return []
    # The calibration map was fitted on best candidates; the others keep their proportion to
    # the best, and together the candidates never claim more than certainty.
    factor = min(_calibrate(posteriors[0]) / posteriors[0], 1 / sum(posteriors))
    return [
        _candidate(ev, index, hyp, p * factor)
        for hyp, p in zip(ranked[:limit], posteriors, strict=False)
    ]


def _rank(index: MatchIndex, hyp: Hypothesis) -> tuple:
    """Best score first; among equals (five members of one surname owing the same), the most
    recent invoice first: a renewal notice just sent is what people pay. Then by invoice, so
    that the same payment always shows the same candidates."""
    newest = max(index.dates[r] for r, _ in hyp.alloc)
    return (-round(hyp.score, 9), -newest.toordinal(), index.invoices[hyp.alloc[0][0]].invoice_id)


def _memo_names_another(ev: _Evidence, index: MatchIndex, hypotheses) -> None:
    """A memo "for Fernando" on Kayla's check speaks against Kayla's own invoice."""
    if not ev.memo_words:
        return
    firsts = {}
    for hyp in hypotheses:
        member = index.people.get(index.invoices[hyp.alloc[0][0]].member_id)
        if member is not None and member.firsts:
            firsts[id(hyp)] = member.firsts
    named = {f for fs in firsts.values() for f in fs if f in ev.memo_words and len(f) > 2}
    if not named:
        return
    for hyp in hypotheses:
        if id(hyp) in firsts and not named & set(firsts[id(hyp)]):
            hyp.score += math.log(LR_MEMO_NAMES_ANOTHER)
            hyp.who += math.log(LR_MEMO_NAMES_ANOTHER)
            hyp.signals["memo_names_another"] = True


def auto_applicable(
    candidates: list[Candidate], remittance: Remittance, threshold: float = DEFAULT_AUTO_THRESHOLD
) -> bool:
    """True when one candidate alone is above the threshold and the amounts agree exactly."""
    above = [c for c in candidates if c.confidence >= threshold]
    if len(above) != 1 or candidates[0] is not above[0]:
        return False
    best = above[0]
    applied = sum((amount for _, amount in best.allocations), Decimal(0))
    return (
        bool(best.allocations)
        and best.credit == 0
        and best.shortfall == 0
        and applied == to_money(remittance.amount)
    )


def _calibrate(p: float) -> float:
    knots = CALIBRATION
    if not knots:
        return p
    p = min(max(p, 1e-12), 1 - 1e-12)
    z = math.log(p / (1 - p))
    if z <= knots[0][0]:
        return knots[0][1]
    for (z0, p0), (z1, p1) in pairwise(knots):
        if z <= z1:
            return p0 + (p1 - p0) * (z - z0) / (z1 - z0)
    return knots[-1][1]


# --- reading the remittance ------------------------------------------------------------------


def _read(remittance: Remittance, index: MatchIndex) -> _Evidence:
    reference = remittance.reference or ""
    if remittance.method == "check" and reference.strip().isdigit():
        reference = ""  # a check's own reference is its check number
    numbers = tx.parse_numbers(remittance.memo, reference, remittance.payer_name)
    # A card payment's reference is written by the member portal, not typed by a person: when
    # it names an open invoice, that is the invoice (no typing error to allow for).
    portal = (
        {n.digits for n in tx.parse_numbers(reference) if n.digits in index.inv_by_number}
        if remittance.method == "card" and reference
        else set()
    )
    long_numbers = [
        n.digits
        for n in numbers
        if len(n.digits) >= 5 and not n.year_like and n.digits not in portal
    ]
    raw_memo = f"{remittance.memo} {reference}"
    memo_text = _memo_words(tx.fold_umlaut(raw_memo))
    # A name keeps both readings of an umlaut ("Björn" is "bjorn" and "bjoern").
    memo_words = frozenset(memo_text.split()) | frozenset(_memo_words(tx.fold(raw_memo)).split())
    ev = _Evidence(
        cents=mi.cents_of(remittance.amount),
        payer=_unglued(tx.parse_payer_name(remittance.payer_name or ""), index),
        email=(remittance.email or "").strip().lower(),
        numbers=long_numbers,
        variants=frozenset().union(*map(tx.digit_variants, long_numbers)),
        memo_words=memo_words,
        memo_text=memo_text,
        inv_refs={},
        party_refs={},
        exact_ids=set(),
        rmr_paid={},
        neighbours={},
        postal=ml.postal_key(remittance.payer_postal_code),
    )
    for position, number in enumerate(numbers):
        weight = ID_UNSURE if number.year_like else ID_EXACT
        if number.digits in portal:
            weight = ID_PORTAL
        rows: list[int] = []
        if number.kind != "member":
            for key in {number.digits, number.alnum} - {""}:
                rows.extend(index.inv_by_number.get(key, ()))
        pids = [] if number.kind == "invoice" else index.party_by_number.get(number.digits, [])
        if not rows and not pids:
            # An id of the other kind than the words before it announced.
            if number.kind == "member":
                rows = list(index.inv_by_number.get(number.digits, ()))
            elif number.kind == "invoice":
                pids = index.party_by_number.get(number.digits, [])
            weight = ID_UNSURE
        for row in rows:
            if row not in ev.inv_refs or ev.inv_refs[row][1] < weight:
                ev.inv_refs[row] = ("exact", weight, position)
            if number.paid is not None:
                ev.rmr_paid[row] = number.paid
        for pid in pids:
            ev.party_refs[pid] = ("exact", max(weight, ev.party_refs.get(pid, ("", 0.0))[1]))
        if rows or pids:
            ev.exact_ids.add(number.digits)
            if rows or number.kind != "invoice":
                continue
            # "INV33006" where 33006 is only a member id: perhaps invoice 330406 mistyped.
        if len(number.digits) < 5 or number.year_like:
            continue
        # No such id: perhaps a typing error. The nearby existing ids share the evidence.
        near_rows = _neighbour_rows(ev, index, number.digits) if number.kind != "member" else []
        near_pids = (
            []
            if number.kind == "invoice"
            else [
                p
                for v in tx.digit_variants(number.digits)
                for p in index.party_by_number.get(v, ())
            ]
        )
        if len(near_rows) + len(near_pids) <= 8:
            typed = number.digits
            for row in near_rows:
                share = _typo_weight(ev, index, typed, index.numbers[row])
                ev.inv_refs.setdefault(row, ("typo", share, position))
                if number.paid is not None:
                    ev.rmr_paid.setdefault(row, number.paid)
            for pid in near_pids:
                share = _typo_weight(ev, index, typed, pid.lstrip("0"))
                ev.party_refs.setdefault(pid, ("typo", share))
    return ev


def _memo_words(folded: str) -> str:
    """Memo and reference words without numbers and the words every memo has."""
    return " ".join(w for w in folded.split() if not w.isdigit() and w not in tx.MEMO_NOISE)


def _unglued(payer: tx.PayerName, index: MatchIndex) -> tx.PayerName:
    """Split a name run together by a card descriptor ("PAYPAL *MARYSMITH")."""
    extra: list[str] = []
    for token in payer.tokens:
        if len(token) < 7 or token in index.by_last:
            continue
        for cut in range(2, len(token) - 1):
            first, last = token[:cut], token[cut:]
            if last in index.by_last and first in index.first_count:
                extra += [first, last]
                break
    if not extra:
        return payer
    tokens = (*payer.tokens, *extra)
    return tx.PayerName(payer.raw, tokens, payer.keys | set(extra), payer.corporate,
                        " ".join(extra))  # fmt: skip


def _neighbour_rows(ev: _Evidence, index: MatchIndex, digits: str) -> list[int]:
    variants = tx.digit_variants(digits)
    rows = [r for v in variants for r in index.inv_by_number.get(v, ())]
    # The chances of the existing ids one keying error away, together, and of a typical one
    # (for "something else"): the evidence is shared among them by how likely each error is.
    chance = sum(tx.keystroke_chance(digits, index.numbers[r]) for r in rows) + sum(
        tx.keystroke_chance(digits, v) * len(index.party_by_number[v])
        for v in variants
        if v in index.party_by_number
    )
    ev.neighbours[digits] = (chance, 1 / max(len(variants), 1))
    return rows


def _typo_weight(ev: _Evidence, index: MatchIndex, digits: str, actual: str) -> float:
    """Log-odds of a memo number ``digits`` being id ``actual`` mistyped."""
    if digits not in ev.neighbours:
        _neighbour_rows(ev, index, digits)
    near, typical = ev.neighbours[digits]
    exact = typical if digits in ev.exact_ids else 0.0
    this = tx.keystroke_chance(digits, actual) or typical
    return ID_TYPO + math.log(this / (near + exact + typical))


# --- blocking --------------------------------------------------------------------------------


def _link(ev: _Evidence, index: MatchIndex) -> None:
    """Members the payer is known to pay for: those living with the person on file the payer
    name is, and those that person, or a payer of this name, paid dues for before."""
    links, payer = index.links, ev.payer
    if not payer.tokens:
        return
    linked = ev.linked

    def offer(member: str, kind: str, lr: float, why: str) -> None:
        if member and (member not in linked or linked[member][1] < lr):
            linked[member] = (kind, lr, why)

    if links.household_of or links.by_payer:
        for pid in _people_named(index, payer):
            found, lr = _name_lr(payer, index.people[pid], index, pid)
            if found not in ("full", "initial", "fuzzy"):
                continue
            for mate in links.housemates(pid):
                offer(mate, "household", P_HOUSEHOLD * lr,
                      "payer lives with the member (same surname and postal code)")  # fmt: skip
            for member in links.by_payer.get(pid, ()):
                offer(member, "paid_before", P_PAID_BEFORE * lr,
                      "payer paid this member's dues before")  # fmt: skip
    if payer.corporate:
        for member, paid_for in links.paid_before_by(payer.raw).items():
            offer(member, "paid_before", P_PAID_BEFORE * index.n_accounts / paid_for,
                  "payer paid this member's dues before")  # fmt: skip
        return
    if not links.by_name:
        return
    readings = [(payer.tokens, 1.0)]
    for t in payer.tokens:
        if len(t) >= 4 and t not in index.by_last:
            # A surname mistyped this time ("ALDHRUST" for the "D. Aldhurst" of last year).
            readings.extend(
                (tuple(near if x == t else x for x in payer.tokens), P_NAME_TYPO)
                for near in index.surnames_near(t)
            )
    for tokens, typo in readings:
        key = ml.key_of_tokens(tokens)
        if key is None:
            continue
        for member, how in links.paid_before(key).items():
            frequency = _name_frequency(index, key.tokens, initial=how == "initial")
            offer(member, "paid_before", P_PAID_BEFORE * P_NAME[how] * typo / frequency,
                  "payer paid this member's dues before")  # fmt: skip


def _people_named(index: MatchIndex, payer: tx.PayerName) -> set[str]:
    """People on file whose surname and first name (or initial) the payer name has."""
    out: set[str] = set()
    for key in payer.keys:
        if key not in index.by_last:
            continue
        for token in payer.tokens:
            if token == key:
                continue
            if len(token) == 1:
                out.update(index.by_last_initial.get((key, token), ())[:20])
                continue
            for variant in tx.first_name_variants(token):
                out.update(index.by_last_first.get((key, variant), ())[:20])
    return out


def _name_frequency(index: MatchIndex, tokens: tuple[str, ...], *, initial: bool) -> float:
    """How common a written name is: its commonest reading as surname and first name (or
    first initial, when only the initial is shown to agree)."""
    best = 0.0
    for last in tokens:
        if len(last) < 3:
            continue
        for first in tokens:
            if first == last:
                continue
            short = initial or len(first) == 1
            f = index.f_initial(first[0]) if short else index.f_first(first)
            best = max(best, index.f_last(last) * f)
    return best or 1.0


def _block(ev: _Evidence, index: MatchIndex) -> list[str]:
    """Accounts worth scoring, strongest evidence first."""
    accounts: dict[str, None] = {}

    def add(pids, cap: int = MAX_ACCOUNTS):
        for pid in pids:
            if len(accounts) >= cap:
                return
            if pid:
                accounts[pid] = None

    for row in ev.inv_refs:
        inv = index.invoices[row]
        add((inv.member_id, inv.payer_id), MAX_ACCOUNTS * 2)
    add(ev.party_refs, MAX_ACCOUNTS * 2)
    if ev.email:
        for pid in index.by_email.get(ev.email, ()):
            person = index.people.get(pid)
            add((pid, person.org_id if person else ""))
        domain = ev.email.rpartition("@")[2]
        if domain not in mi.PUBLIC_DOMAINS:
            add(index.by_domain.get(domain, ())[:5])
    _link(ev, index)
    add(ev.linked)
    if ev.postal:
        # People of the payer's surname at the payer's postal code: the payer or their household.
        for key in ev.payer.keys:
            add(index.links.households.get((key, ev.postal), ())[:10])
    if ev.email:
        add(sorted(index.links.by_email.get(ev.email, ()))[:10])
    _block_names(ev, index, add, ev.payer)
    if ev.memo_words:
        _block_names(ev, index, add, tx.parse_payer_name(ev.memo_text), relatives=False)
    if ev.exact_ids and not _fits(ev, index, _id_accounts(ev, index)):
        # Ids are dense, so a mistyped id is usually someone else's: when what it names fits
        # neither the amount nor a name in the remittance, look at the ids one keystroke away.
        named = ev.payer.keys | ev.memo_words
        for pid in _near_members(ev, index):
            person = index.people.get(pid)
            if person is not None and (
                (pid, ev.cents) in index.party_amounts or any(k in named for k in person.last_keys)
            ):
                add((pid,), MAX_ACCOUNTS * 2)
    if not accounts and not ev.payer.tokens and not ev.email:
        bucket = index.by_amount.get(ev.cents, ())
        if len(bucket) <= BUCKET_MAX:
            add(index.invoices[r].payer_id or index.invoices[r].member_id for r in bucket)
    return [a for a in accounts if index.is_account(a)]


def _id_accounts(ev: _Evidence, index: MatchIndex) -> list[str]:
    """Accounts the ids read exactly name."""
    out = [p for p, (how, _) in ev.party_refs.items() if how == "exact"]
    for row, (how, _, _) in ev.inv_refs.items():
        if how == "exact":
            out += [index.invoices[row].member_id, index.invoices[row].payer_id]
    return out


def _fits(ev: _Evidence, index: MatchIndex, accounts) -> bool:
    named = ev.payer.keys | ev.memo_words
    for pid in accounts:
        person = index.people.get(pid)
        if (pid, ev.cents) in index.party_amounts or (
            person is not None and any(k in named for k in person.last_keys)
        ):
            return True
    return False


def _near_members(ev: _Evidence, index: MatchIndex) -> list[str]:
    out = []
    for digits in ev.exact_ids:
        if len(digits) < 5:
            continue
        for v in tx.digit_variants(digits):
            out.extend(index.party_by_number.get(v, ()))
            out.extend(index.invoices[r].member_id for r in index.inv_by_number.get(v, ()))
    return out


def _block_names(ev: _Evidence, index: MatchIndex, add, payer, *, relatives=True) -> None:
    if not payer.tokens:
        return
    firsts = [t for t in payer.tokens if len(t) > 1]
    initials = {t for t in payer.tokens if len(t) == 1}
    found = False
    for key in payer.keys:
        if key not in index.by_last:
            continue
        hit = False
        for token in firsts:
            if token == key:
                continue
            for variant in tx.first_name_variants(token):
                pids = index.by_last_first.get((key, variant))
                if pids:
                    hit = True
                    add(pids[:40])
        for initial in initials:
            add(index.by_last_initial.get((key, initial), ())[:40])
            hit = hit or (key, initial) in index.by_last_initial
        if not hit:
            # "Jon" for "John", "Micheal": same surname, same initial, a close first name.
            for token in firsts:
                if token == key:
                    continue
                for pid in index.by_last_initial.get((key, token[0]), ())[:200]:
                    person = index.people[pid]
                    if any(fuzz.ratio(token, f) >= 75 for f in person.firsts):
                        hit = True
                        add((pid,))
        found = found or hit
    if payer.corporate:
        # An organisation: by its distinctive words before any surname a word of it may be.
        for token in payer.tokens:
            add(index.by_org_word.get(token, ())[:20])
    elif not found:
        # A typing error in the surname: a letter dropped, added or changed, or two swapped;
        # or the surname cut short by a bank's field.
        for token in firsts:
            for key in index.surnames_near(token):
                _block_near_surname(ev, index, add, key, token, firsts, initials, relatives)
        cut = _cut_off(payer)
        for key in index.surnames_starting(cut) if cut else ():
            _block_near_surname(ev, index, add, key, cut, firsts, initials, relatives)
    if not relatives:
        return
    # A relative paying: the same surname and the first name the memo gives ("for Kenji"),
    # or the same surname and an open invoice for exactly this amount.
    for key in payer.keys:
        for word in ev.memo_words:
            add(index.by_last_first.get((key, word), ())[:10])
        add(index.by_last_amount.get((key, ev.cents), ())[:12])
    for token in payer.tokens:
        add(index.by_org_word.get(token, ())[:20])


def _block_near_surname(ev, index, add, key, typed, firsts, initials, relatives) -> None:
    """People with surname ``key`` (the payer wrote ``typed``) whom the rest of the name fits."""
    for other in firsts:
        if other == typed:
            continue
        for variant in tx.first_name_variants(other):
            add(index.by_last_first.get((key, variant), ())[:20])
        for pid in index.by_last_initial.get((key, other[0]), ())[:50]:
            if any(fuzz.ratio(other, f) >= 75 for f in index.people[pid].firsts):
                add((pid,))
    for initial in initials:
        add(index.by_last_initial.get((key, initial), ())[:20])
    if relatives:
        for word in ev.memo_words:
            add(index.by_last_first.get((key, word), ())[:10])
        add(index.by_last_amount.get((key, ev.cents), ())[:12])


def _unlisted_mass(ev: _Evidence) -> float:
    """How well a random unlisted account explains what was observed (the 'someone else')."""
    mass = 1.0
    if ev.payer.tokens:
        mass *= P_NAME_UNRELATED
    if ev.email:
        mass *= P_EMAIL_OTHER
    if ev.exact_ids:
        mass *= LR_OTHER_ID
    return mass


# --- allocation and scoring ------------------------------------------------------------------


def _allocations(ev: _Evidence, index: MatchIndex, account: str) -> list[Hypothesis]:
    named, members, alternatives = _named(ev, index, account)
    hypotheses = allocate(index, account, ev.cents, named, ev.rmr_paid, members)
    # A mistyped number that two of the account's invoices fit equally: both are offered, so
    # neither is taken for sure.
    for picked, others in alternatives:
        for other in others[:2]:
            swapped = [other if r == picked else r for r in named]
            hypotheses += allocate(index, account, ev.cents, swapped, ev.rmr_paid, members)
    return hypotheses


def _named(ev: _Evidence, index: MatchIndex, account: str):
    """The account's invoices the payer named by number (maybe mistyped), in the order named;
    for an organisation the employees the memo names; and how many of the account's invoices
    a mistyped number could equally mean."""
    rows = index.rows_of(account)
    refs = ev.inv_refs
    named = sorted((r for r in rows if r in refs and refs[r][0] == "exact"),
                   key=lambda r: refs[r][2])  # fmt: skip
    # A number typed means one invoice: of the account's invoices one keystroke from it, the
    # one the payment's amount fits, most likely keying error first.
    typos: dict[str, list[int]] = {}
    for r in rows:
        if r in refs and refs[r][0] == "typo":
            typos.setdefault(f"@{refs[r][2]}", []).append(r)
    if ev.variants:
        # ... also for numbers that are exactly some other id, unless exactly one of this
        # account's own invoices (a member's invoices are numbered one after another).
        own = {index.numbers[r] for r in named}
        for typed in ev.numbers:
            variants = tx.digit_variants(typed)
            near = [r for r in rows if r not in refs and index.numbers[r] in variants]
            if near and typed not in own:
                typos.setdefault(typed, []).extend(near)
    alternatives: list[tuple[int, list[int]]] = []
    for near in typos.values():
        fitting = [r for r in near if index.cents[r] == ev.cents] or near
        best = max(_typo_chance(ev, index, r) for r in fitting)
        equal = [r for r in fitting if _typo_chance(ev, index, r) >= best * 0.999]
        if equal[0] not in named:
            named.append(equal[0])
            if len(equal) > 1:
                alternatives.append((equal[0], [r for r in equal[1:] if r not in named]))
    members: set[str] = set()
    person = index.people.get(account)
    if person is not None and person.is_org and ev.memo_words:
        for r in rows:
            member = index.people.get(index.invoices[r].member_id)
            if (
                member is not None
                and not member.is_org
                and any(k in ev.memo_words for k in member.last_keys)
            ):
                members.add(member.party_id)
    return named, members, alternatives


def _typo_chance(ev: _Evidence, index: MatchIndex, row: int) -> float:
    """How likely invoice ``row`` is what a number read was meant to be."""
    number = index.numbers[row]
    return max((tx.keystroke_chance(n, number) for n in ev.numbers), default=0.0)


def _one_keystroke(typed: str, number: str) -> bool:
    """``typed`` (read from the memo) is ``number`` with one keystroke wrong."""
    return number in tx.digit_variants(typed)


def _related(index: MatchIndex, alloc) -> list[str]:
    """Parties whose name or e-mail on the payment would speak for this allocation. For the
    invoices of several members, not one of those members: a person rarely pays a colleague's
    dues with their own (their employer or whoever was billed does)."""
    out: dict[str, None] = {}
    members = {index.invoices[r].member_id for r, _ in alloc}
    for r, _ in alloc:
        inv = index.invoices[r]
        if len(members) == 1:
            out[inv.member_id] = None
        out[inv.payer_id] = None
        person = index.people.get(inv.member_id)
        if person is not None and person.org_id:
            out[person.org_id] = None
    out.pop("", None)
    return list(out)


def _score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis) -> None:
    """Log-odds of this allocation against a random account, in two parts: who paid (name,
    e-mail, member number) and what for (invoice numbers, amount)."""
    related = _related(index, hyp.alloc)
    log_n = math.log(index.n_accounts)
    what, who = _id_score(ev, index, hyp, related, log_n)
    who += -log_n + _name_score(ev, index, hyp, related) + _email_score(ev, index, hyp, related)
    who += _postal_score(ev, index, hyp, related)
    what += _amount_score(ev, index, hyp)
    if hyp.ways > 1:
        what -= math.log(hyp.ways)
        hyp.signals["alternatives"] = hyp.ways
    hyp.who, hyp.score = who, who + what


def _id_score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis, related, log_n):
    """Invoice numbers (what for) and member numbers (who) in memo and reference."""
    why, signals = hyp.why, hyp.signals
    what, who, hit = 0.0, 0.0, False
    for r, _ in hyp.alloc:
        number = index.invoices[r].number or index.invoices[r].invoice_id
        ref = ev.inv_refs.get(r)
        if ref is not None:
            weight, how = ref[1], ref[0]
        elif r in hyp.named and any(_one_keystroke(n, index.numbers[r]) for n in ev.numbers):
            weight = max(_typo_weight(ev, index, n, index.numbers[r]) for n in ev.numbers
                         if _one_keystroke(n, index.numbers[r]))  # fmt: skip
            how = "typo"
        else:
            continue
        what += weight + log_n if not hit else ID_MORE
        hit = True
        why.append(f"{number} in memo" if how == "exact" else f"{number} in memo, mistyped")
        signals.setdefault("invoice_ref", how)
    for pid in related:
        ref = ev.party_refs.get(pid)
        if ref is None and ev.variants and pid in ev.variants:
            near = [n for n in ev.numbers if _one_keystroke(n, pid.lstrip("0"))]
            if near:
                ref = ("typo", max(_typo_weight(ev, index, n, pid.lstrip("0")) for n in near))
        if ref is not None:
            who += ref[1] + log_n if not hit else ID_MORE
            hit = True
            why.append(f"member {pid} in memo" + (", mistyped" if ref[0] == "typo" else ""))
            signals["member_ref"] = ref[0]
            break
    if not hit and ev.exact_ids:
        what += math.log(LR_OTHER_ID)
        signals["memo_conflict"] = True
    return what, who


def _name_score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
    payer = ev.payer
    best, kind, similarity = (math.log(P_NAME_UNRELATED) if payer.tokens else 0.0), "", 0
    for pid in related:
        person = index.people.get(pid)
        if person is None or not payer.tokens:
            continue
        found, lr = _name_lr(payer, person, index, pid)
        if found and math.log(lr) > best:
            best, kind = math.log(lr), found
            similarity = fuzz.token_sort_ratio(payer.text, person.display)
            if found == "org":
                similarity = max(similarity, fuzz.token_set_ratio(payer.text, person.display))
    members = {index.invoices[r].member_id for r, _ in hyp.alloc}
    link = ev.linked.get(next(iter(members))) if len(members) == 1 and ev.linked else None
    if link is not None and math.log(link[1]) > best:
        best, kind = math.log(link[1]), link[0]
    memo_named = False
    if kind in ("last_only", "last_typo") and ev.memo_words:
        # "for Stephanie" on a relative's check.
        for r, _ in hyp.alloc:
            member = index.people.get(index.invoices[r].member_id)
            if member is not None and member.firsts and member.firsts[0] in ev.memo_words:
                best += math.log(P_NAME_IN_MEMO / index.f_first(member.firsts[0]))
                memo_named = True
                break
    if not memo_named and kind not in ("full", "initial", "fuzzy") and ev.memo_words:
        # The memo names the member (an employer or a relative paying): further evidence.
        for r, _ in hyp.alloc:
            member = index.people.get(index.invoices[r].member_id)
            if member is None or member.is_org:
                continue
            if any(k in ev.memo_words for k in member.last_keys):
                p_b = index.f_last(member.last_keys[0])
                if any(f in ev.memo_words for f in member.firsts):
                    p_b *= index.f_first(member.firsts[0])
                elif member.initial and member.initial in ev.memo_words:
                    p_b *= index.f_initial(member.initial)
                best += math.log(P_NAME_IN_MEMO / min(p_b * 20, 1.0))
                memo_named = True
                break
    signals, why = hyp.signals, hyp.why
    signals["name"] = kind or ("unrelated" if payer.tokens else "none")
    signals["name_similarity"] = round(similarity)
    if memo_named:
        signals["memo_names_member"] = True
        why.append("memo names the member")
    if link is not None and kind == link[0]:
        why.append(link[2])
    elif kind == "last_only":
        why.append("same surname as the member (a relative paying?)")
    elif kind == "last_typo":
        why.append("surname one letter from the member's (a relative paying?)")
    elif kind == "org":
        why.append(f"paid by the organisation, name {round(similarity)} % similar")
    elif kind:
        why.append(f"payer name {round(similarity)} % similar")
    elif payer.tokens:
        why.append("payer name unrelated")
    return best


def _name_lr(payer: tx.PayerName, person: mi.Person, index: MatchIndex, pid: str):
    if person.is_org:
        if not person.org_core:
            return "", 0.0
        sim = fuzz.token_set_ratio(payer.text, person.org_core)
        shared = any(
            w in payer.tokens or any(len(t) >= 4 and w.startswith(t) for t in payer.tokens)
            for w in person.org_words
        )
        # Every word of the payer starts a word of the name ("NORTHWIND ENG"); a lone letter
        # is a person's initial ("L FENWICK" is not Fenwick Labs).
        abbreviated = (
            shared
            and sim < 95
            and all(
                len(t) > 1 and any(c.startswith(t) for c in person.org_core.split())
                for t in payer.tokens
                if t not in tx.ORG_HINTS
            )
        )
        if not (shared or not person.org_words) or (sim < 85 and not abbreviated):
            return "", 0.0
        n = max(len(index.invoices), 1)
        share = max(len(index.rows_of(pid)), 1) / n
        strength = 1.0 if sim >= 95 or abbreviated else 0.3
        return "org", P_NAME["org"] * strength / share
    keys = payer.keys
    cut = _cut_off(payer)
    last_hit = any(k in keys for k in person.last_keys)
    last_fuzzy = False
    if not last_hit:
        for t in payer.tokens:
            if t == cut and any(k.startswith(t) for k in person.last_keys):
                last_hit = True  # cut off by a bank's field length
                break
            if len(t) >= 3 and any(
                OSA.distance(t, k, score_cutoff=1) <= 1 for k in person.last_keys
            ):
                last_fuzzy = True  # one typing error
    if not (last_hit or last_fuzzy):
        return "", 0.0
    # How common the surname written is: for one part of a compound surname ("SMITH" for
    # Smith-Jones), that part's frequency, not the whole name's.
    matched = [k for k in person.last_keys if k in keys]
    f_last = max(map(index.f_last, matched or person.last_keys[:1]))
    first_kind = ""
    other_name = False  # a first name that is not this person's
    for t in payer.tokens:
        if t in person.last_keys or _surname_part(t, person, cut):
            continue
        fits = False
        for first in person.firsts:
            if tx.same_first_name(t, first):
                first_kind, fits = "full", True
                break
            if len(t) == 1 and t == first[0]:
                first_kind, fits = first_kind or "initial", True
            elif len(t) >= 3 and fuzz.ratio(t, first) >= 75:
                first_kind, fits = first_kind or "fuzzy", True
        if first_kind == "full":
            break
        other_name = other_name or (len(t) > 1 and not fits)
    if first_kind == "initial" and other_name:
        first_kind = ""  # "LUCIA C WISNIEWSKI": C is a middle initial, not Chloe's
    first = person.firsts[0] if person.firsts else ""
    if first_kind == "full" and last_hit:
        return "full", P_NAME["full"] / (f_last * index.f_first(first))
    if first_kind == "full" or (first_kind == "fuzzy" and last_hit):
        return "fuzzy", P_NAME["fuzzy"] / (5 * f_last * index.f_first(first))
    if first_kind == "initial" and last_fuzzy:
        return "fuzzy", P_NAME["fuzzy"] / (5 * f_last * index.f_initial(person.initial))
    if first_kind == "initial" and last_hit:
        return "initial", P_NAME["initial"] / (f_last * index.f_initial(person.initial))
    if last_hit:
        return "last_only", P_NAME["last_only"] / f_last
    if last_fuzzy:
        return "last_typo", P_NAME["last_only"] * P_NAME_TYPO / f_last
    return "", 0.0


def _surname_part(token: str, person: mi.Person, cut: str) -> bool:
    """The token is this person's surname cut off by a bank's field, or mistyped."""
    return any(
        (token == cut and k.startswith(token))
        or (len(token) >= 3 and OSA.distance(token, k, score_cutoff=1) <= 1)
        for k in person.last_keys
    )


def _cut_off(payer: tx.PayerName) -> str:
    """The last word of a name long enough to have been cut by a bank's field (16 or 22
    characters: "MARGARET O'SULLIVAN-FI"), or ""."""
    return _last_word_if_long(payer.raw, payer.text)


@lru_cache(maxsize=4096)
def _last_word_if_long(raw: str, text: str) -> str:
    words = text.split()
    if len(raw.strip()) < 15 or not words or len(words[-1]) < 4:
        return ""
    return words[-1]


def _email_score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
    if not ev.email:
        return 0.0
    domain = ev.email.rpartition("@")[2]
    domain_hit = False
    for pid in related:
        person = index.people.get(pid)
        if person is None or not person.email:
            continue
        if person.email == ev.email:
            hyp.why.append("e-mail matches")
            hyp.signals["email"] = "exact"
            return math.log(P_EMAIL_EXACT / index.f_email(ev.email))
        if domain not in mi.PUBLIC_DOMAINS and person.email.rpartition("@")[2] == domain:
            domain_hit = True
    paid_for = index.links.by_email.get(ev.email)
    if paid_for and any(index.invoices[r].member_id in paid_for for r, _ in hyp.alloc):
        hyp.why.append("e-mail used for this member's payments before")
        hyp.signals["email"] = "paid_before"
        return math.log(P_EMAIL_BEFORE * max(index.n_parties, 1) / len(paid_for))
    if domain_hit:
        hyp.why.append("e-mail domain of the organisation")
        hyp.signals["email"] = "domain"
        share = max(len(index.by_domain.get(domain, ())), 1) / max(index.n_parties, 1)
        return math.log(P_EMAIL_DOMAIN / share)
    hyp.signals["email"] = "other"
    return math.log(P_EMAIL_OTHER)


def _postal_score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
    """The payer's postal code against the addresses on file of the parties concerned."""
    if not ev.postal:
        return 0.0
    codes = {index.postal_of[pid] for pid in related if pid in index.postal_of}
    if not codes:
        return 0.0
    if ev.postal in codes:
        hyp.why.append("payer's postal code is the member's")
        hyp.signals["postal"] = "same"
        share = index.postal_count[ev.postal] / max(index.n_parties, 1)
        return math.log(P_POSTAL_SAME / share)
    hyp.signals["postal"] = "other"
    return math.log(1 - P_POSTAL_SAME)


def _background(index: MatchIndex, cents: int) -> float:
    """How often a payment of exactly this amount comes in, whatever it is for."""
    floor = P_ROUND_AMOUNT if cents % 500 == 0 else P_ODD_AMOUNT
    return max(len(index.by_amount.get(cents, ())) / max(len(index.invoices), 1), floor)


def _amount_score(ev: _Evidence, index: MatchIndex, hyp: Hypothesis) -> float:
    relation, why = hyp.relation, hyp.why
    hyp.signals["amount"] = relation
    owed = sum(index.cents[r] for r, _ in hyp.alloc)
    applied = sum(t for _, t in hyp.alloc)
    background = _background(index, ev.cents)
    if relation == "exact":
        why.append("amount equals balance")
        return math.log(P_AMOUNT_EXACT / background)
    if relation == "multi":
        why.append(f"amount equals {len(hyp.alloc)} open balances together")
        person = index.people.get(hyp.account)
        if hyp.basis == "named":
            p = P_AMOUNT_EXACT
        elif hyp.basis == "all":
            p = P_AMOUNT_STATEMENT if person is not None and person.is_org else P_AMOUNT_ALL
        else:
            p = P_AMOUNT_SUBSET
        return math.log(p / background)
    named = any(r in ev.inv_refs for r, _ in hyp.alloc)
    if relation == "over":
        why.append(f"overpaid by {_money(hyp.credit)}")
    elif relation == "partial":
        why.append(f"partial: {_money(owed - applied)} still owed")
    else:
        why.append("amount matches no balance")
    p = P_MISMATCH[relation] * (NAMED_MISMATCH if named else 1.0)
    return math.log(p * _mismatch_density(index, ev.cents, owed) / _background(index, ev.cents))


def _mismatch_density(index: MatchIndex, paid: int, owed: int) -> float:
    """How likely a payment on invoices owing ``owed`` is of exactly ``paid`` when it is not
    the balance (cents)."""
    if paid % 500:
        return P_OTHER_ODD
    if abs(2 * paid - owed) <= 1000:
        return P_MISMATCH_HALF
    if index.is_price(paid):
        return P_MISMATCH_PRICE
    steps = max(round(abs(paid - owed) / 500), 1)
    return max(P_MISMATCH_NEAR / (steps * _HARMONIC), P_OTHER_ODD)


_HARMONIC = sum(1 / k for k in range(1, 201))  # $5 steps up to $1,000 away


def _unrelated_amount(index: MatchIndex, cents: int) -> float:
    """Likelihood ratio of the amount for a payment that is not for these invoices."""
    density = P_OTHER_ROUND if cents % 500 == 0 else P_OTHER_ODD
    return density / _background(index, cents)


def _candidate(ev: _Evidence, index: MatchIndex, hyp: Hypothesis, confidence: float) -> Candidate:
    alloc = hyp.alloc
    members = {index.invoices[r].member_id for r, _ in alloc}
    payers = {index.invoices[r].payer_id for r, _ in alloc}
    applied = sum(t for _, t in alloc)
    owed = sum(index.cents[r] for r, _ in alloc)
    return Candidate(
        member_id=next(iter(members)) if len(members) == 1 else hyp.account,
        payer_id=next(iter(payers)) if len(payers) == 1 else hyp.account,
        allocations=tuple((index.invoices[r].invoice_id, _money(t)) for r, t in alloc),
        credit=_money(ev.cents - applied),
        shortfall=_money(owed - applied),
        confidence=round(confidence, 4),
        explanation="; ".join(hyp.why),
        signals={**hyp.signals, "score": round(hyp.score, 3)},
    )
