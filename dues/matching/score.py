"""Allocation and scoring for payment matching: each account's ways to take the payment, and
their log-odds against a random account from ids, name, e-mail, postal code and amount.
"""

from __future__ import annotations

import math

from rapidfuzz import fuzz

from common.money import from_minor_units

from . import index as mi
from . import model as m
from . import text as tx
from .alloc import Hypothesis, allocate
from .index import MatchIndex
from .names import name_lr
from .read import Evidence, typo_weight
from .staff import named_staff


def allocations(ev: Evidence, index: MatchIndex, account: str) -> list[Hypothesis]:
    named, staff, alternatives = _named(ev, index, account)
    hypotheses = allocate(index, account, ev.cents, named, ev.rmr_paid, staff)
    # A mistyped number that two of the account's invoices fit equally: both are offered, so
    # neither is taken for sure.
    for picked, others in alternatives:
        for other in others[:2]:
            swapped = [other if r == picked else r for r in named]
            hypotheses += allocate(index, account, ev.cents, swapped, ev.rmr_paid, staff)
    return hypotheses


def _named(ev: Evidence, index: MatchIndex, account: str):
    """The account's invoices the payer named by number (maybe mistyped), in the order named;
    for an organisation the employees the memo names; and how many of the account's invoices
    a mistyped number could equally mean."""
    rows = index.rows_of(account)
    refs = ev.inv_refs
    named = sorted(
        (r for r in rows if r in refs and refs[r][0] == "exact"), key=lambda r: refs[r][2]
    )
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
    staff = None  # the employees an organisation's memo names (``staff.named_staff``)
    person = index.people.get(account)
    if person is not None and person.is_org and ev.memo:
        staff = named_staff(ev.memo, index, rows)
    return named, staff, alternatives


def _typo_chance(ev: Evidence, index: MatchIndex, row: int) -> float:
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
        if len(members) == 1 or inv.payer_id not in members:
            out[inv.payer_id] = None  # not a member billed for their own invoice, as above
        person = index.people.get(inv.member_id)
        if person is not None and person.org_id:
            out[person.org_id] = None
    out.pop("", None)
    return list(out)


def score(ev: Evidence, index: MatchIndex, hyp: Hypothesis) -> None:
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


def _id_score(ev: Evidence, index: MatchIndex, hyp: Hypothesis, related, log_n):
    """Invoice numbers (what for) and member numbers (who) in memo and reference."""
    why, signals = hyp.why, hyp.signals
    what, who, hit = 0.0, 0.0, False
    for r, _ in hyp.alloc:
        number = index.invoices[r].number or index.invoices[r].invoice_id
        ref = ev.inv_refs.get(r)
        if ref is not None:
            weight, how = ref[1], ref[0]
        elif r in hyp.named and any(_one_keystroke(n, index.numbers[r]) for n in ev.numbers):
            weight = max(
                typo_weight(ev, index, n, index.numbers[r])
                for n in ev.numbers
                if _one_keystroke(n, index.numbers[r])
            )
            how = "typo"
        else:
            continue
        what += weight + log_n if not hit else m.ID_MORE
        hit = True
        why.append(f"{number} in memo" if how == "exact" else f"{number} in memo, mistyped")
        signals.setdefault("invoice_ref", how)
    for pid in related:
        ref = ev.party_refs.get(pid)
        if ref is None and ev.variants and pid in ev.variants:
            near = [n for n in ev.numbers if _one_keystroke(n, pid.lstrip("0"))]
            if near:
                ref = ("typo", max(typo_weight(ev, index, n, pid.lstrip("0")) for n in near))
        if ref is not None:
            who += ref[1] + log_n if not hit else m.ID_MORE
            hit = True
            why.append(f"member {pid} in memo" + (", mistyped" if ref[0] == "typo" else ""))
            signals["member_ref"] = ref[0]
            break
    if not hit and ev.exact_ids:
        what += math.log(m.LR_OTHER_ID)
        signals["memo_conflict"] = True
    return what, who


def _name_score(ev: Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
    payer = ev.payer
    best, kind, similarity = (math.log(m.P_NAME_UNRELATED) if payer.tokens else 0.0), "", 0
    for pid in related:
        person = index.people.get(pid)
        if person is None or not payer.tokens:
            continue
        found, lr = name_lr(payer, person, index, pid)
        if found and math.log(lr) > best:
            best, kind = math.log(lr), found
            similarity = fuzz.token_sort_ratio(payer.text, person.display)
            if found == "org":
                similarity = max(similarity, fuzz.token_set_ratio(payer.text, person.display))
    members = {index.invoices[r].member_id for r, _ in hyp.alloc}
    link = ev.linked.get(next(iter(members))) if len(members) == 1 and ev.linked else None
    if link is not None and math.log(link[1]) > best:
        best, kind = math.log(link[1]), link[0]
    if kind in ("last_only", "last_typo") and len(members) == 1:
        best += math.log(_relative_elsewhere(ev, index, next(iter(members))))
    memo_named = False
    if kind in ("last_only", "last_typo") and ev.memo_words:
        # "for Stephanie" on a relative's check.
        for r, _ in hyp.alloc:
            member = index.people.get(index.invoices[r].member_id)
            if member is not None and member.firsts and member.firsts[0] in ev.memo_words:
                best += math.log(m.P_NAME_IN_MEMO / index.f_first(member.firsts[0]))
                memo_named = True
                break
    if not memo_named and kind not in ("full", "initial", "fuzzy") and ev.memo_words:
        # The memo names the member (an employer or a relative paying): further evidence.
        chance = _memo_names_members(ev, index, hyp.alloc)
        if chance < 1.0:
            best += math.log(m.P_NAME_IN_MEMO / min(chance * 20, 1.0))
            memo_named = True
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


def _relative_elsewhere(ev: Evidence, index: MatchIndex, member_id: str) -> float:
    """A payer of the member's surname and another given name is a relative paying, mostly one
    living with the member. When that name is a person on file (given name and surname) who
    lives elsewhere, the payer is most likely that person, paying for themselves, not a relative
    paying the member's dues: the relative story needs someone of another household."""
    payer = ev.payer
    others: set[str] = set()
    for last in payer.keys:
        for first in payer.tokens:
            if first != last and len(first) > 1:
                others.update(index.by_last_first.get((last, first), ()))
    others.discard(member_id)
    if not others:
        return 1.0
    home = index.postal_of.get(member_id)
    if home and any(index.postal_of.get(pid) == home for pid in others):
        return 1.0
    return m.P_RELATIVE_ELSEWHERE


def _memo_names_members(ev: Evidence, index: MatchIndex, alloc) -> float:
    """How likely the memo names, by chance, every member of ``alloc`` it names (surname, with
    the given name or initial when written): 1.0 when it names none.

    An organisation's memo lists the employees it pays for ("Dues J CRANEIHURST, C ALLEN"): a
    clerk takes the invoices of the people listed, and each further name on the list that owes
    here makes a coincidence less likely; a common surname alone says little, a rare one much.
    Every member counts once, whatever the order of the invoices.
    """
    chance = 1.0
    for member_id in sorted({index.invoices[r].member_id for r, _ in alloc}):
        member = index.people.get(member_id)
        if member is None or member.is_org:
            continue
        if any(k in ev.memo_words for k in member.last_keys):
            p_b = index.f_last(member.last_keys[0])
            if any(f in ev.memo_words for f in member.firsts):
                p_b *= index.f_first(member.firsts[0])
            elif member.initial and member.initial in ev.memo_words:
                p_b *= index.f_initial(member.initial)
            chance *= p_b
    return chance


def _email_score(ev: Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
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
            return math.log(m.P_EMAIL_EXACT / index.f_email(ev.email))
        if domain not in mi.PUBLIC_DOMAINS and person.email.rpartition("@")[2] == domain:
            domain_hit = True
    paid_for = index.links.by_email.get(ev.email)
    if paid_for and any(index.invoices[r].member_id in paid_for for r, _ in hyp.alloc):
        hyp.why.append("e-mail used for this member's payments before")
        hyp.signals["email"] = "paid_before"
        return math.log(m.P_EMAIL_BEFORE * max(index.n_parties, 1) / len(paid_for))
    if domain_hit:
        hyp.why.append("e-mail domain of the organisation")
        hyp.signals["email"] = "domain"
        share = max(len(index.by_domain.get(domain, ())), 1) / max(index.n_parties, 1)
        return math.log(m.P_EMAIL_DOMAIN / share)
    hyp.signals["email"] = "other"
    return math.log(m.P_EMAIL_OTHER)


def _postal_score(ev: Evidence, index: MatchIndex, hyp: Hypothesis, related) -> float:
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
        return math.log(m.P_POSTAL_SAME / share)
    hyp.signals["postal"] = "other"
    return math.log(1 - m.P_POSTAL_SAME)


def _background(index: MatchIndex, cents: int) -> float:
    """How often a payment of exactly this amount comes in, whatever it is for."""
    floor = m.P_ROUND_AMOUNT if cents % 500 == 0 else m.P_ODD_AMOUNT
    return max(len(index.by_amount.get(cents, ())) / max(len(index.invoices), 1), floor)


def _amount_score(ev: Evidence, index: MatchIndex, hyp: Hypothesis) -> float:
    relation, why = hyp.relation, hyp.why
    hyp.signals["amount"] = relation
    owed = sum(index.cents[r] for r, _ in hyp.alloc)
    applied = sum(t for _, t in hyp.alloc)
    background = _background(index, ev.cents)
    if relation == "exact":
        why.append("amount equals balance")
        return math.log(m.P_AMOUNT_EXACT / background)
    if relation == "instalment":
        # As strong as the balance: the amount the member agreed to pay next.
        left = from_minor_units(owed - applied)
        why.append(f"amount equals the payment plan's next instalment; {left} stays open")
        return math.log(m.P_AMOUNT_EXACT / background)
    if relation == "multi":
        why.append(f"amount equals {len(hyp.alloc)} open balances together")
        person = index.people.get(hyp.account)
        if hyp.basis == "named":
            p = m.P_AMOUNT_EXACT
        elif hyp.basis == "all":
            p = m.P_AMOUNT_STATEMENT if person is not None and person.is_org else m.P_AMOUNT_ALL
        else:
            p = m.P_AMOUNT_SUBSET
        return math.log(p / background)
    named = any(r in ev.inv_refs for r, _ in hyp.alloc)
    if relation == "over":
        why.append(f"overpaid by {from_minor_units(hyp.credit)}")
    elif relation == "partial":
        why.append(f"partial: {from_minor_units(owed - applied)} still owed")
    else:
        why.append("amount matches no balance")
    p = m.P_MISMATCH[relation] * (m.NAMED_MISMATCH if named else 1.0)
    return math.log(p * _mismatch_density(index, ev.cents, owed) / _background(index, ev.cents))


def _mismatch_density(index: MatchIndex, paid: int, owed: int) -> float:
    """How likely a payment on invoices owing ``owed`` is of exactly ``paid`` when it is not
    the balance (cents)."""
    if paid % 500:
        return m.P_OTHER_ODD
    if abs(2 * paid - owed) <= 1000:
        return m.P_MISMATCH_HALF
    if index.is_price(paid):
        return m.P_MISMATCH_PRICE
    steps = max(round(abs(paid - owed) / 500), 1)
    return max(m.P_MISMATCH_NEAR / (steps * _HARMONIC), m.P_OTHER_ODD)


_HARMONIC = sum(1 / k for k in range(1, 201))  # $5 steps up to $1,000 away


def unrelated_amount(index: MatchIndex, cents: int) -> float:
    """Likelihood ratio of the amount for a payment that is not for these invoices."""
    density = m.P_OTHER_ROUND if cents % 500 == 0 else m.P_OTHER_ODD
    return density / _background(index, cents)
