"""Match an incoming payment to open invoices: ranked candidates with a calibrated confidence.

Pure functions over plain records (no ORM): ``build_index`` once over the open invoices, the
parties and (optionally) past dues payments, then ``match`` each remittance. This module holds
the calibration and the run of one match (its records are in ``records``); the steps live beside
it: ``read`` (what the remittance says), ``block``, ``alloc`` and ``score`` (steps 1 to 3),
``names`` (how a written name fits a party), ``model`` (the likelihoods assumed), ``index``,
``links`` (households and payment history) and ``text`` (names, memos, numbers). How it decides:

1. **Blocking**: accounts (parties whose open invoices a payment could settle) are gathered only
   from evidence: invoice and member numbers read from memo and reference (exact, or one
   keystroke away from an existing id; a card payment's portal reference taken as written), the
   payer's e-mail, the payer's name (surname with first initial, surnames one typing error away,
   distinctive words of organisation names), whom the payer is known to pay for (a person on
   file living with the member: same surname and postal code; a payer name, e-mail or party
   that paid the member's dues before: ``links``) and, when nothing else identifies
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
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import pairwise

from common.gc_pause import cyclic_gc_paused
from common.money import from_minor_units, to_money

from . import index as mi
from . import model as m
from . import text as tx
from .alloc import Hypothesis
from .block import block, unlisted_mass
from .index import MatchIndex
from .read import Evidence, read
from .records import Candidate, OpenInvoice, Party, PastPayment, Remittance
from .score import allocations, score, unrelated_amount

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
    *,
    tie_rule: str = "propose",
    expected: Mapping[str, Iterable[int]] | None = None,
) -> MatchIndex:
    """Index open invoices, parties and past payments for ``match`` (one pass over each).
    ``tie_rule``: what to do when several open invoices of a payer equal the amount
    (``alloc.TIE_RULES``); ``expected``: invoice id -> the amounts (cents) its payment plan
    expects next (``mi.add_expected``)."""
    with cyclic_gc_paused():  # millions of small objects, and no cycles among them
        index = mi.build(invoices, parties, history)
    index.tie_rule = tie_rule
    if expected:
        mi.add_expected(index, expected)
    return index


def match(remittance: Remittance, index: MatchIndex, *, limit: int = 5) -> list[Candidate]:
    """Candidates for one payment, best first (at most ``limit``)."""
    ev = read(remittance, index)
    if ev.cents <= 0:
        return []
    hypotheses: dict[frozenset, Hypothesis] = {}
    for account in block(ev, index):
        for hyp in allocations(ev, index, account):
            score(ev, index, hyp)
            key = frozenset(r for r, _ in hyp.alloc)
            if key not in hypotheses or hypotheses[key].score < hyp.score:
                hypotheses[key] = hyp
    # Two ways the payment settles none of these: it is not ours at all, or it comes from one
    # of these people for something else (an event, a donation) - as likely as who paid is.
    _memo_names_another(ev, index, hypotheses.values())
    unrelated = unrelated_amount(index, ev.cents)
    if ev.memo_words & tx.OTHER_PURPOSE:
        unrelated *= m.OTHER_PURPOSE_MEMO
    null = math.log(m.P_NOT_OURS / (1 - m.P_NOT_OURS) * unrelated + unlisted_mass(ev))
    ranked = sorted(hypotheses.values(), key=lambda h: _rank(index, h))
    others = [null]
    if ranked:
        others.append(math.log(m.P_OTHER_PURPOSE * unrelated) + max(h.who for h in ranked))
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


def _memo_names_another(ev: Evidence, index: MatchIndex, hypotheses) -> None:
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
            hyp.score += math.log(m.LR_MEMO_NAMES_ANOTHER)
            hyp.who += math.log(m.LR_MEMO_NAMES_ANOTHER)
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
        and pays_as_billed(best)
        and applied == to_money(remittance.amount)
    )


def pays_as_billed(candidate: Candidate) -> bool:
    """Nothing is left owing that was due now: the balance, or the instalment a payment plan
    expects (the rest of the invoice stays open, as the plan says)."""
    return candidate.shortfall == 0 or candidate.signals.get("amount") == "instalment"


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


def _candidate(ev: Evidence, index: MatchIndex, hyp: Hypothesis, confidence: float) -> Candidate:
    alloc = hyp.alloc
    members = {index.invoices[r].member_id for r, _ in alloc}
    payers = {index.invoices[r].payer_id for r, _ in alloc}
    applied = sum(t for _, t in alloc)
    owed = sum(index.cents[r] for r, _ in alloc)
    return Candidate(
        member_id=next(iter(members)) if len(members) == 1 else hyp.account,
        payer_id=next(iter(payers)) if len(payers) == 1 else hyp.account,
        allocations=tuple((index.invoices[r].invoice_id, from_minor_units(t)) for r, t in alloc),
        credit=from_minor_units(ev.cents - applied),
        shortfall=from_minor_units(owed - applied),
        confidence=round(confidence, 4),
        explanation="; ".join([*hyp.why, *([hyp.signals["tie"]] if "tie" in hyp.signals else [])]),
        signals={**hyp.signals, "score": round(hyp.score, 3)},
    )
