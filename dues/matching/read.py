"""Reading a remittance for payment matching: numbers in memo and reference (exact, or one
keystroke from an existing id), the payer's name and e-mail, memo words and postal code, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from . import index as mi
from . import links as ml
from . import model as m
from . import text as tx
from .index import MatchIndex
from .records import Remittance


@dataclass(slots=True)
class Evidence:
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
    memo: str = ""  # the memo as written, for the list of names an organisation gives


def read(remittance: Remittance, index: MatchIndex) -> Evidence:
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
    ev = Evidence(
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
        memo=remittance.memo or "",
    )
    for position, number in enumerate(numbers):
        weight = m.ID_UNSURE if number.year_like else m.ID_EXACT
        if number.digits in portal:
            weight = m.ID_PORTAL
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
            weight = m.ID_UNSURE
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
        near_pids = (
            []
            if number.kind == "invoice"
            else [
                p
                for v in tx.digit_variants(number.digits)
                for p in index.party_by_number.get(v, ())
            ]
        )
        # A number the words announced as a member's that is near no member's is read as an
        # invoice's too ("Membership renewal 3001751").
        near_rows = (
            _neighbour_rows(ev, index, number.digits)
            if number.kind != "member" or not near_pids
            else []
        )
        if len(near_rows) + len(near_pids) <= 8:
            typed = number.digits
            for row in near_rows:
                share = typo_weight(ev, index, typed, index.numbers[row])
                ev.inv_refs.setdefault(row, ("typo", share, position))
                if number.paid is not None:
                    ev.rmr_paid.setdefault(row, number.paid)
            for pid in near_pids:
                share = typo_weight(ev, index, typed, pid.lstrip("0"))
                ev.party_refs.setdefault(pid, ("typo", share))
    return ev


def _memo_words(folded: str) -> str:
    """Memo and reference words without numbers and the words every memo has."""
    return " ".join(w for w in folded.split() if not w.isdigit() and w not in tx.MEMO_NOISE)


def _unglued(payer: tx.PayerName, index: MatchIndex) -> tx.PayerName:
    """Split a name run together by a card descriptor ("PAYPAL *MARYSMITH"), and put back a
    space typed one letter early or late ("RONAL DAKESSON" for Ronald Akesson)."""
    extra: list[str] = []
    for token in payer.tokens:
        if len(token) < 7 or token in index.by_last:
            continue
        for cut in range(2, len(token) - 1):
            first, last = token[:cut], token[cut:]
            if last in index.by_last and first in index.first_count:
                extra += [first, last]
                break
    for first, last in pairwise(payer.tokens):
        if last in index.by_last or len(first) < 2 or len(last) < 3:
            continue
        joined = first + last
        for cut in (len(first) - 1, len(first) + 1):
            if joined[cut:] in index.by_last and joined[:cut] in index.first_count:
                extra += [joined[:cut], joined[cut:]]
    if not extra:
        return payer
    tokens = (*payer.tokens, *extra)
    return tx.PayerName(
        payer.raw, tokens, payer.keys | set(extra), payer.corporate, " ".join(extra)
    )


def _neighbour_rows(ev: Evidence, index: MatchIndex, digits: str) -> list[int]:
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


def typo_weight(ev: Evidence, index: MatchIndex, digits: str, actual: str) -> float:
    """Log-odds of a memo number ``digits`` being id ``actual`` mistyped."""
    if digits not in ev.neighbours:
        _neighbour_rows(ev, index, digits)
    near, typical = ev.neighbours[digits]
    exact = typical if digits in ev.exact_ids else 0.0
    this = tx.keystroke_chance(digits, actual) or typical
    return m.ID_TYPO + math.log(this / (near + exact + typical))
