"""Match an incoming payment to open invoices: ranked candidates with a calibrated confidence.

Pure functions over plain records (no ORM): ``build_index`` once over the open invoices and the
parties, then ``match`` each remittance. How it decides:

1. **Blocking**: accounts (parties whose open invoices a payment could settle) are gathered only
   from evidence: invoice and member numbers read from memo and reference (exact, or one
   keystroke away from an existing id), the payer's e-mail, the payer's name (surname with first
   initial, phonetic key for typos, distinctive words of organisation names) and, when nothing
   else identifies anyone, a small bucket of invoices whose balance equals the amount.
2. **Allocation** per account: invoices named in the memo first; else an invoice whose balance
   equals the amount; else a bounded subset sum over the account's invoices (one payer's several
   invoices, or an organisation paying for its employees); else partial or over (credit).
3. **Scoring**: a likelihood ratio per piece of evidence (how much likelier it is when this
   candidate is right than for a random payment), with name and amount frequencies taken from
   the book itself, so a common name or the standard dues amount counts for little. Candidates
   compete with each other and with "none of these" (a payment that is not ours, or belongs to
   someone the evidence does not point to) in one normalisation, so two look-alike members split
   the probability and a payment that fits no one gets a low confidence.
4. **Calibration**: the posterior goes through a Platt map fitted on labelled sandbox payments
   (``CALIBRATION``), giving the confidence shown to finance staff.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from common.money import CENT, to_money

from . import matching_text as tx
from .matching_text import words_set


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
# P(observation | candidate right); the background probabilities come from the book.
P_NOT_OURS = 0.03  # prior share of payments that belong to no open invoice
P_NAME = {"full": 0.55, "initial": 0.12, "fuzzy": 0.05, "last_only": 0.06, "org": 0.6}
P_NAME_UNRELATED = 0.1  # the name is someone unrelated (a parent, an unknown employer)
P_EMAIL_EXACT = 0.85
P_EMAIL_DOMAIN = 0.3
P_EMAIL_OTHER = 0.35
P_AMOUNT_EXACT = 0.8
P_AMOUNT_MULTI = 0.08
LR_AMOUNT = {"partial": 0.35, "near": 0.35, "over": 0.2, "split": 0.15}
ID_EXACT = 3.8  # log-odds an exact id in the memo adds beyond the prior (typing error ~2 %)
ID_EXACT_UNSURE = 1.8  # same, for a 4-digit year-like number or a kind that contradicts context
LR_OTHER_ID = 0.05  # the memo names an existing id that is not this candidate's
SUBSET_MAX_INVOICES = 24
SUBSET_MAX_STATES = 20_000
BUCKET_MAX = 30  # amount-only blocking is used only when this few invoices share the amount
MAX_ACCOUNTS = 60
# Platt map from the model's log-odds to a calibrated probability: conf = sigmoid(a*z + b).
CALIBRATION = {"a": 1.0, "b": 0.0}
DEFAULT_AUTO_THRESHOLD = 0.97

PUBLIC_DOMAINS = words_set(
    "gmail.com googlemail.com yahoo.com yahoo.ca ymail.com outlook.com hotmail.com live.com "
    "msn.com "
    "icloud.com me.com mac.com aol.com proton.me protonmail.com comcast.net verizon.net att.net "
    "sbcglobal.net gmx.com gmx.net mail.com zoho.com fastmail.com rogers.com shaw.ca "
    "sympatico.ca"
)


@dataclass(slots=True)
class _Person:
    party: Party
    last_keys: tuple[str, ...]
    firsts: tuple[str, ...]  # folded first and informal names
    initial: str
    org_core: str
    email: str
    display: str  # folded "first last" or organisation core


class MatchIndex:
    """Everything ``match`` looks up, built once by ``build_index``."""

    def __init__(self) -> None:
        self.invoices: list[OpenInvoice] = []
        self.cents: list[int] = []
        self.inv_by_id: dict[str, int] = {}
        self.inv_by_number: dict[str, list[int]] = defaultdict(list)
        self.people: dict[str, _Person] = {}
        self.party_by_number: dict[str, list[str]] = defaultdict(list)
        self.account_invoices: dict[str, list[int]] = defaultdict(list)
        self.employees: dict[str, list[str]] = defaultdict(list)
        self.by_email: dict[str, list[str]] = defaultdict(list)
        self.by_domain: dict[str, list[str]] = defaultdict(list)
        self.by_last_initial: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_last: dict[str, list[str]] = defaultdict(list)
        self.by_soundex_initial: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_org_token: dict[str, list[str]] = defaultdict(list)
        self.by_amount: dict[int, list[int]] = defaultdict(list)
        self.party_amounts: set[tuple[str, int]] = set()
        self.last_count: dict[str, int] = defaultdict(int)
        self.first_count: dict[str, int] = defaultdict(int)
        self.initial_count: dict[str, int] = defaultdict(int)
        self.n_persons = 0
        self.n_parties = 0
        self.n_accounts = 1

    # -- frequencies (smoothed) ---------------------------------------------------------------
    def f_last(self, key: str) -> float:
        return (self.last_count.get(key, 0) + 1) / (self.n_persons + 100)

    def f_first(self, name: str) -> float:
        return (self.first_count.get(name, 0) + 1) / (self.n_persons + 100)

    def f_initial(self, letter: str) -> float:
        return (self.initial_count.get(letter, 0) + 1) / (self.n_persons + 26)

    def f_amount(self, cents: int) -> float:
        return max(len(self.by_amount.get(cents, ())) / max(len(self.invoices), 1), 1e-4)

    def f_email(self, email: str) -> float:
        return max(len(self.by_email.get(email, ())), 1) / max(self.n_parties, 1)


def _cents(amount: Decimal) -> int:
    return int(to_money(amount) / CENT)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def _number_keys(number: str) -> set[str]:
    keys = set()
    alnum = "".join(c for c in number.upper() if c.isalnum())
    if alnum:
        keys.add(alnum)
    digits = "".join(c for c in number if c.isdigit())
    if digits and (alnum.isdigit() or len(digits) >= 3):
        keys.add(digits.lstrip("0") or "0")
    return keys


def build_index(invoices: Iterable[OpenInvoice], parties: Iterable[Party]) -> MatchIndex:
    """Index open invoices and parties for ``match`` (one pass over each)."""
    index = MatchIndex()
    for party in parties:
        _add_party(index, party)
    for person in index.people.values():
        if person.party.org_id and not person.party.is_org:
            index.employees[person.party.org_id].append(person.party.party_id)
    for inv in invoices:
        if inv.balance is None or inv.balance <= 0:
            continue
        i = len(index.invoices)
        cents = _cents(inv.balance)
        index.invoices.append(inv)
        index.cents.append(cents)
        index.inv_by_id[inv.invoice_id] = i
        for key in _number_keys(inv.number or inv.invoice_id):
            index.inv_by_number[key].append(i)
        index.by_amount[cents].append(i)
        for pid in {inv.member_id, inv.payer_id} - {""}:
            index.account_invoices[pid].append(i)
            index.party_amounts.add((pid, cents))
    index.n_accounts = max(len(index.account_invoices), 1)
    return index


def _add_party(index: MatchIndex, party: Party) -> None:
    pid = party.party_id
    index.n_parties += 1
    for key in _number_keys(pid):
        if key.isdigit():
            index.party_by_number[key].append(pid)
    email = (party.email or "").strip().lower()
    if email:
        index.by_email[email].append(pid)
        domain = email.rpartition("@")[2]
        if domain and domain not in PUBLIC_DOMAINS:
            index.by_domain[domain].append(party.org_id if not party.is_org else pid)
    if party.is_org:
        core = tx.org_core(party.name)
        index.people[pid] = _Person(party, (), (), "", core, email, core)
        for token in tx.org_tokens(party.name):
            index.by_org_token[token].append(pid)
        return
    first = tx.fold(party.first_name)
    last = party.last_name
    if not last and party.name:
        parts = tx.parse_payer_name(party.name).tokens
        last = parts[-1] if parts else ""
        first = first or (parts[0] if len(parts) > 1 else "")
    firsts = tuple(
        dict.fromkeys(
            t
            for t in (*first.split()[:1], *tx.fold(party.informal_name).split()[:1])
            if t and len(t) > 0
        )
    )
    last_keys = tuple(tx.surname_keys(last))
    initial = firsts[0][0] if firsts else ""
    display = " ".join(x for x in (first, tx.fold(last)) if x)
    index.people[pid] = _Person(
        party, last_keys, firsts, initial, tx.org_core(party.org_name), email, display
    )
    index.n_persons += 1
    if firsts:
        index.first_count[firsts[0]] += 1
        index.initial_count[initial] += 1
    for key in last_keys:
        index.last_count[key] += 1
        index.by_last[key].append(pid)
        index.by_last_initial[(key, initial)].append(pid)
        index.by_soundex_initial[(tx.soundex(key), initial)].append(pid)


# --- matching --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Evidence:
    """What the remittance says, read once."""

    cents: int
    payer: tx.PayerName
    email: str
    numbers: list[tx.MemoNumber]
    inv_refs: dict[int, tuple[str, float]]  # invoice row -> (how: exact|typo, log-odds)
    party_refs: dict[str, tuple[str, float]]
    exact_ids: set[str]  # numbers that exactly name an existing invoice or member
    rmr_paid: dict[int, int]  # invoice row -> cents the ACH addenda says were paid on it


def match(remittance: Remittance, index: MatchIndex, *, limit: int = 5) -> list[Candidate]:
    """Candidates for one payment, best first (at most ``limit``)."""
    ev = _read(remittance, index)
    if ev.cents <= 0:
        return []
    accounts = _block(ev, index)
    hypotheses: dict[frozenset, dict] = {}
    for account in accounts:
        for hyp in _allocations(ev, index, account):
            _score(ev, index, hyp)
            key = frozenset(hyp["alloc"])
            if key not in hypotheses or hypotheses[key]["score"] < hyp["score"]:
                hypotheses[key] = hyp
    null = math.log(P_NOT_OURS / (1 - P_NOT_OURS) + _unlisted_mass(ev))
    ranked = sorted(hypotheses.values(), key=lambda h: -h["score"])
    top = max([null, *(h["score"] for h in ranked)])
    total = math.exp(null - top) + sum(math.exp(h["score"] - top) for h in ranked)
    out = []
    for hyp in ranked[:limit]:
        posterior = math.exp(hyp["score"] - top) / total
        out.append(_candidate(ev, index, hyp, _calibrate(posterior)))
    return out


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
    p = min(max(p, 1e-9), 1 - 1e-9)
    z = CALIBRATION["a"] * math.log(p / (1 - p)) + CALIBRATION["b"]
    return 1 / (1 + math.exp(-z))


def _read(remittance: Remittance, index: MatchIndex) -> _Evidence:
    numbers = tx.parse_numbers(remittance.memo, remittance.reference, remittance.payer_name)
    ev = _Evidence(
        cents=_cents(remittance.amount),
        payer=tx.parse_payer_name(remittance.payer_name or ""),
        email=(remittance.email or "").strip().lower(),
        numbers=numbers,
        inv_refs={},
        party_refs={},
        exact_ids=set(),
        rmr_paid={},
    )
    for number in numbers:
        weight = ID_EXACT_UNSURE if number.year_like else ID_EXACT
        inv_rows = []
        if number.kind != "member":
            for key in {number.digits, number.alnum} - {""}:
                inv_rows.extend(index.inv_by_number.get(key, ()))
        party_ids = [] if number.kind == "invoice" else index.party_by_number.get(number.digits, [])
        if not inv_rows and not party_ids and number.kind == "member":
            inv_rows = list(index.inv_by_number.get(number.digits, ()))
            weight = ID_EXACT_UNSURE
        if not inv_rows and not party_ids and number.kind == "invoice":
            party_ids = index.party_by_number.get(number.digits, [])
            weight = ID_EXACT_UNSURE
        for row in inv_rows:
            ev.inv_refs[row] = ("exact", max(weight, ev.inv_refs.get(row, ("", 0.0))[1]))
            ev.exact_ids.add(number.digits)
            if number.paid is not None:
                ev.rmr_paid[row] = number.paid
        for pid in party_ids:
            ev.party_refs[pid] = ("exact", max(weight, ev.party_refs.get(pid, ("", 0.0))[1]))
            ev.exact_ids.add(number.digits)
        if inv_rows or party_ids or number.year_like:
            continue
        # No existing id: perhaps a typing error. Each nearby existing id gets an equal share.
        variants = tx.digit_variants(number.digits)
        near_inv = [r for v in variants for r in index.inv_by_number.get(v, ())]
        near_party = (
            []
            if number.kind == "invoice"
            else [p for v in variants for p in index.party_by_number.get(v, ())]
        )
        if number.kind == "member":
            near_inv = []
        share = -math.log(len(near_inv) + len(near_party) + 2)
        for row in near_inv[:8]:
            ev.inv_refs.setdefault(row, ("typo", ID_EXACT + share))
            if number.paid is not None:
                ev.rmr_paid.setdefault(row, number.paid)
        for pid in near_party[:8]:
            ev.party_refs.setdefault(pid, ("typo", ID_EXACT + share))
    return ev


def _block(ev: _Evidence, index: MatchIndex) -> list[str]:
    """Accounts worth scoring, strongest evidence first."""
    accounts: dict[str, None] = {}

    def add(pids):
        for pid in pids:
            if pid and len(accounts) < MAX_ACCOUNTS:
                accounts[pid] = None

    for row in ev.inv_refs:
        inv = index.invoices[row]
        add((inv.member_id, inv.payer_id))
    add(p for p in ev.party_refs if p in index.account_invoices or p in index.employees)
    if ev.email:
        for pid in index.by_email.get(ev.email, ()):
            person = index.people.get(pid)
            add((pid, person.party.org_id if person else ""))
        domain = ev.email.rpartition("@")[2]
        if domain not in PUBLIC_DOMAINS:
            add(index.by_domain.get(domain, ())[:5])
    _block_names(ev, index, add)
    if not accounts and ev.payer.tokens == () and not ev.email:
        bucket = index.by_amount.get(ev.cents, ())
        if len(bucket) <= BUCKET_MAX:
            for row in bucket:
                inv = index.invoices[row]
                add((inv.payer_id or inv.member_id,))
    return [a for a in accounts if a in index.account_invoices or a in index.employees]


def _block_names(ev: _Evidence, index: MatchIndex, add) -> None:
    payer = ev.payer
    if not payer.tokens:
        return
    tokens = [t for t in payer.tokens if len(t) > 1]
    initials = {t[0] for t in payer.tokens}
    found = False
    for key in payer.keys:
        if key not in index.by_last:
            continue
        for initial in initials:
            hits = index.by_last_initial.get((key, initial), ())
            if hits:
                found = True
                add(hits[:40])
    if not found:
        # A typing error in the surname: same sound, same first initial.
        for token in tokens:
            if len(token) < 3:
                continue
            code = tx.soundex(token)
            for initial in initials:
                for pid in index.by_soundex_initial.get((code, initial), ())[:60]:
                    person = index.people[pid]
                    if any(fuzz.ratio(token, k) >= 80 for k in person.last_keys):
                        add((pid,))
    # A relative or spouse paying: same surname, and an invoice for exactly this amount.
    for key in payer.keys:
        for pid in index.by_last.get(key, ())[:3000]:
            if (pid, ev.cents) in index.party_amounts:
                add((pid,))
    for token in payer.tokens:
        for pid in index.by_org_token.get(token, ())[:20]:
            add((pid,))


def _unlisted_mass(ev: _Evidence) -> float:
    """How well a random unlisted account explains what was observed (the 'someone else' term)."""
    mass = 1.0
    if ev.payer.tokens:
        mass *= P_NAME_UNRELATED
    if ev.email:
        mass *= P_EMAIL_OTHER
    if ev.exact_ids:
        mass *= LR_OTHER_ID
    return mass


def _account_rows(index: MatchIndex, account: str) -> list[int]:
    rows = list(index.account_invoices.get(account, ()))
    person = index.people.get(account)
    if person is not None and person.party.is_org:
        for employee in index.employees.get(account, ())[:200]:
            rows.extend(index.account_invoices.get(employee, ()))
    return list(dict.fromkeys(rows))


def _date_key(index: MatchIndex, row: int):
    return (index.invoices[row].invoice_date or date.max, row)


def _allocations(ev: _Evidence, index: MatchIndex, account: str) -> list[dict]:
    rows = _account_rows(index, account)
    if not rows:
        return []
    cents = index.cents
    refs = [r for r in rows if r in ev.inv_refs]
    refs.sort(key=lambda r: _date_key(index, r))
    others = sorted((r for r in rows if r not in ev.inv_refs), key=lambda r: _date_key(index, r))
    amount = ev.cents
    out = []
    if refs:
        alloc, left = [], amount
        for r in refs:
            want = min(ev.rmr_paid.get(r, cents[r]), cents[r])
            take = min(want, left)
            if take > 0:
                alloc.append((r, take))
                left -= take
        relation = "exact" if left == 0 and all(t == cents[r] for r, t in alloc) else "partial"
        if left > 0:
            extra = _subset(ev, index, others, left)
            if extra:
                alloc.extend((r, cents[r]) for r in extra[0])
                relation, left = "multi", 0
            else:
                relation = "over"
        if alloc:
            out.append(_hyp(account, alloc, left, relation, 1))
        if relation == "exact":
            return out
    singles = [r for r in others if cents[r] == amount]
    if singles:
        for r in singles[:2]:
            out.append(_hyp(account, [(r, amount)], 0, "exact", len(singles)))
        return out
    if out:
        return out
    total = sum(cents[r] for r in others)
    if amount > total:
        alloc = [(r, cents[r]) for r in others]
        return [_hyp(account, alloc, amount - total, "over", 1)]
    subsets = _subset(ev, index, others, amount)
    if subsets:
        chosen, count = subsets
        return [_hyp(account, [(r, cents[r]) for r in chosen], 0, "multi", count)]
    # Less than owed: a partial payment on the invoice it most likely meant.
    above = sorted((r for r in others if cents[r] > amount), key=lambda r: cents[r] - amount)
    if above:
        r = above[0]
        near = cents[r] - amount <= max(2500, cents[r] // 20)
        return [_hyp(account, [(r, amount)], 0, "near" if near else "partial", 1)]
    alloc, left = [], amount
    for r in others:
        take = min(cents[r], left)
        if take:
            alloc.append((r, take))
            left -= take
    return [_hyp(account, alloc, left, "split", 1)]


def _hyp(account: str, alloc: list[tuple[int, int]], credit: int, relation: str, ways: int):
    return {"account": account, "alloc": alloc, "credit": credit, "relation": relation,
            "ways": ways, "score": 0.0, "why": [], "signals": {}}  # fmt: skip


def _subset(ev: _Evidence, index: MatchIndex, rows: list[int], target: int):
    """(rows of one subset summing exactly to target, number of such subsets) or None."""
    rows = rows[:SUBSET_MAX_INVOICES]
    if len(rows) < 2 or target <= 0:
        return None
    cents = index.cents
    states: dict[int, tuple[int, tuple[int, ...]]] = {0: (1, ())}
    for r in rows:
        value = cents[r]
        updates = {}
        for total, (count, witness) in states.items():
            new = total + value
            if new > target:
                continue
            have = updates.get(new) or states.get(new)
            if have is None:
                updates[new] = (count, (*witness, r))
            else:
                updates[new] = (have[0] + count, have[1])
        states.update(updates)
        if len(states) > SUBSET_MAX_STATES:
            return None
    found = states.get(target)
    if found is None or len(found[1]) < 2:
        return None
    return found[1], found[0]


def _related(index: MatchIndex, alloc) -> list[str]:
    out: dict[str, None] = {}
    for r, _ in alloc:
        inv = index.invoices[r]
        out[inv.member_id] = None
        out[inv.payer_id] = None
        person = index.people.get(inv.member_id)
        if person is not None and person.party.org_id:
            out[person.party.org_id] = None
    out.pop("", None)
    return list(out)


def _score(ev: _Evidence, index: MatchIndex, hyp: dict) -> None:
    alloc = hyp["alloc"]
    why, signals = hyp["why"], hyp["signals"]
    related = _related(index, alloc)
    score = -math.log(index.n_accounts)
    # Numbers in memo and reference.
    rows = [r for r, _ in alloc]
    id_score, id_hit = 0.0, False
    for r in rows:
        ref = ev.inv_refs.get(r)
        if ref:
            id_score += ref[1] + math.log(index.n_accounts) if not id_hit else 1.0
            id_hit = True
            number = index.invoices[r].number or index.invoices[r].invoice_id
            why.append(f"{number} in memo" if ref[0] == "exact" else f"{number} in memo, mistyped")
            signals.setdefault("invoice_ref", ref[0])
    for pid in related:
        ref = ev.party_refs.get(pid)
        if ref:
            id_score += (ref[1] + math.log(index.n_accounts)) if not id_hit else 1.5
            id_hit = True
            why.append(f"member {pid} in memo" + (", mistyped" if ref[0] == "typo" else ""))
            signals.setdefault("member_ref", ref[0])
            break
    if not id_hit and ev.exact_ids:
        # The memo names an existing id that is not this candidate's; a near miss of one of
        # ours is a typing error, not a contradiction.
        ours = [index.invoices[r].number or index.invoices[r].invoice_id for r in rows]
        ours += related
        near = any(
            DamerauLevenshtein.distance(n, "".join(c for c in o if c.isdigit()).lstrip("0"),
                                        score_cutoff=1) <= 1
            for n in ev.exact_ids for o in ours
        )  # fmt: skip
        if near:
            id_score += math.log(index.n_accounts) - math.log(60)
            why.append("memo number one keystroke from ours")
            signals["invoice_ref"] = "near"
        else:
            id_score += math.log(LR_OTHER_ID)
            signals["memo_conflict"] = True
    score += id_score
    score += _name_score(ev, index, hyp, related)
    score += _email_score(ev, index, related, why, signals)
    score += _amount_score(ev, index, hyp)
    if hyp["ways"] > 1:
        score -= math.log(hyp["ways"])
        signals["alternatives"] = hyp["ways"]
    hyp["score"] = score


def _name_score(ev: _Evidence, index: MatchIndex, hyp: dict, related: list[str]) -> float:
    payer = ev.payer
    if not payer.tokens:
        return 0.0
    best, best_kind, best_sim = math.log(P_NAME_UNRELATED), "", 0.0
    for pid in related:
        person = index.people.get(pid)
        if person is None:
            continue
        kind, lr = _name_lr(payer, person, index, pid, hyp)
        if kind and math.log(lr) > best:
            best, best_kind = math.log(lr), kind
            best_sim = fuzz.token_sort_ratio(payer.text, person.display)
            if kind == "org":
                best_sim = max(best_sim, fuzz.token_set_ratio(payer.text, person.display))
    signals, why = hyp["signals"], hyp["why"]
    signals["name"] = best_kind or "unrelated"
    signals["name_similarity"] = round(best_sim)
    if best_kind == "last_only":
        why.append("same surname as the member (a relative paying?)")
    elif best_kind == "org":
        why.append(f"paid by the organisation ({round(best_sim)} % similar)")
    elif best_kind:
        why.append(f"payer name {round(best_sim)} % similar")
    else:
        why.append("payer name unrelated")
    return best


def _name_lr(payer: tx.PayerName, person: _Person, index: MatchIndex, pid: str, hyp: dict):
    if person.party.is_org:
        if not person.org_core:
            return "", 0.0
        sim = fuzz.token_set_ratio(payer.text, person.org_core)
        distinctive = tx.org_tokens(person.party.name)
        shared = any(
            t in payer.tokens or any(len(p) >= 4 and t.startswith(p) for p in payer.tokens)
            for t in distinctive
        )
        if sim < 85 or not (shared or not distinctive):
            return "", 0.0
        share = len(_account_rows(index, pid)) / max(len(index.invoices), 1)
        p = P_NAME["org"] * (1.0 if sim >= 95 else 0.3)
        return "org", p / max(share, 1 / max(len(index.invoices), 1))
    keys = payer.keys
    last_hit = any(k in keys for k in person.last_keys)
    last_fuzzy = False
    if not last_hit:
        for t in payer.tokens:
            if len(t) >= 3 and any(fuzz.ratio(t, k) >= 84 for k in person.last_keys):
                last_fuzzy = True
                break
            if len(t) >= 4 and any(k.startswith(t) for k in person.last_keys):
                last_hit = True
                break
    if not (last_hit or last_fuzzy):
        return "", 0.0
    key = person.last_keys[0] if person.last_keys else ""
    f_last = index.f_last(key)
    first_kind = ""
    for t in payer.tokens:
        if t in person.last_keys:
            continue
        for first in person.firsts:
            if tx.same_first_name(t, first):
                first_kind = "full"
                break
            if len(t) == 1 and t == first[0]:
                first_kind = first_kind or "initial"
            elif len(t) >= 3 and fuzz.ratio(t, first) >= 80 and first_kind != "initial":
                first_kind = first_kind or "fuzzy"
        if first_kind == "full":
            break
    first = person.firsts[0] if person.firsts else ""
    if first_kind == "full" and last_hit:
        return "full", P_NAME["full"] / (f_last * index.f_first(first))
    if first_kind == "full" or (first_kind == "fuzzy" and last_hit):
        return "fuzzy", P_NAME["fuzzy"] / (5 * f_last * index.f_first(first))
    if first_kind == "initial" and last_hit:
        return "initial", P_NAME["initial"] / (f_last * index.f_initial(person.initial))
    if last_hit:
        return "last_only", P_NAME["last_only"] / f_last
    return "", 0.0


def _email_score(ev: _Evidence, index: MatchIndex, related, why, signals) -> float:
    if not ev.email:
        return 0.0
    domain = ev.email.rpartition("@")[2]
    domain_hit = False
    for pid in related:
        person = index.people.get(pid)
        if person is None:
            continue
        if person.email and person.email == ev.email:
            why.append("e-mail matches")
            signals["email"] = "exact"
            return math.log(P_EMAIL_EXACT / index.f_email(ev.email))
        if (
            domain not in PUBLIC_DOMAINS
            and person.email
            and person.email.rpartition("@")[2] == domain
        ):
            domain_hit = True
    if domain_hit:
        why.append("e-mail domain of the organisation")
        signals["email"] = "domain"
        share = max(len(index.by_domain.get(domain, ())), 1) / max(index.n_parties, 1)
        return math.log(P_EMAIL_DOMAIN / share)
    signals["email"] = "other"
    return math.log(P_EMAIL_OTHER)


def _amount_score(ev: _Evidence, index: MatchIndex, hyp: dict) -> float:
    relation, why, signals = hyp["relation"], hyp["why"], hyp["signals"]
    signals["amount"] = relation
    cents = index.cents
    owed = sum(cents[r] for r, _ in hyp["alloc"])
    if relation == "exact":
        why.append("amount equals balance" if len(hyp["alloc"]) == 1 else "amount equals balances")
        if len(hyp["alloc"]) == 1:
            return math.log(P_AMOUNT_EXACT / index.f_amount(ev.cents))
        return math.log(P_AMOUNT_MULTI / max(index.f_amount(ev.cents), 1e-3))
    if relation == "multi":
        why.append(f"amount equals {len(hyp['alloc'])} open balances together")
        return math.log(P_AMOUNT_MULTI / max(index.f_amount(ev.cents), 1e-3))
    if relation == "over":
        why.append(f"overpaid by {_money(hyp['credit'])}")
    elif relation in ("partial", "near"):
        why.append(f"partial: {_money(owed - ev.cents)} still owed")
    else:
        why.append("amount matches no balance")
    return math.log(LR_AMOUNT.get(relation, 0.15))


def _candidate(ev: _Evidence, index: MatchIndex, hyp: dict, confidence: float) -> Candidate:
    cents = index.cents
    alloc = hyp["alloc"]
    members = {index.invoices[r].member_id for r, _ in alloc}
    payers = {index.invoices[r].payer_id for r, _ in alloc}
    account = hyp["account"]
    member = next(iter(members)) if len(members) == 1 else account
    payer = next(iter(payers)) if len(payers) == 1 else account
    applied = sum(t for _, t in alloc)
    owed = sum(cents[r] for r, _ in alloc)
    signals = dict(hyp["signals"], score=round(hyp["score"], 3))
    return Candidate(
        member_id=member,
        payer_id=payer,
        allocations=tuple((index.invoices[r].invoice_id, _money(t)) for r, t in alloc),
        credit=_money(ev.cents - applied),
        shortfall=_money(owed - applied),
        confidence=round(confidence, 4),
        explanation="; ".join(hyp["why"]),
        signals=signals,
    )
