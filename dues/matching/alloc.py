"""How a payment is spread over one account's open invoices (the cash-application convention).

The rule is the one finance clerks follow: invoices the payer named come first, in the order
named; what is left goes to an open invoice whose balance it equals exactly (the oldest of
several), else, for an organisation, to the invoices billed to it when it equals their total or
a combination of them (when its memo names employees, a combination of those employees' open
invoices paying something for each one named: ``staff``), else to the open invoices oldest
first; anything beyond is credit on account. Amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .staff import NamedStaff

SUBSET_MAX_INVOICES = 24
SUBSET_MAX_STATES = 20_000


@dataclass(slots=True)
class Hypothesis:
    """One allocation of the payment to one account's invoices, with its score as it builds."""

    account: str
    alloc: list[tuple[int, int]]  # (invoice row, cents applied)
    credit: int
    relation: str  # exact | instalment | multi | partial | over | split
    ways: int = 1  # equally good allocations among different members (only one is shown)
    named: frozenset[int] = frozenset()
    basis: str = "named"  # named | single | all | subset | fifo: how the invoices were chosen
    score: float = 0.0
    who: float = 0.0  # the part of the score saying who paid (name, e-mail, member number)
    why: list[str] = field(default_factory=list)
    signals: dict = field(default_factory=dict)


def allocate(
    index,
    account: str,
    cents: int,
    named: list[int],
    paid: dict[int, int],
    staff: NamedStaff | None = None,
) -> list[Hypothesis]:
    """Allocations of ``cents`` to ``account`` (the convention's choice, and close rivals).

    ``named``: invoices named by number, in the order named; ``staff``: the employees the memo
    names (an employer paying for them), whose invoices are then the only ones considered, or
    the first ones when the memo's list was cut.
    """
    members = staff.members if staff is not None else None
    rows = index.rows_of(account)
    if not rows:
        return []
    balance = index.cents
    person = index.people.get(account)
    is_org = person is not None and person.is_org
    alloc: list[tuple[int, int]] = []
    left = cents
    for r in named:
        if left <= 0:
            break
        take = min(paid.get(r, balance[r]), balance[r], left)
        if take > 0:
            alloc.append((r, take))
            left -= take
    used = {r for r, _ in alloc}
    if used:
        # What the named invoices leave goes to the same members' other invoices only, or, when
        # an organisation named invoices billed to it, to its other invoices.
        owners = {index.invoices[r].member_id for r in used}
        billed_named = is_org and all(index.invoices[r].payer_id == account for r in used)
        rest = [
            r
            for r in rows
            if r not in used
            and (
                index.invoices[r].member_id in owners
                or (billed_named and index.invoices[r].payer_id == account)
            )
        ]
    elif members:
        of_named = [r for r in rows if index.invoices[r].member_id in members]
        if staff is not None and not staff.complete:
            # A list cut by the bank's field: the employees it names first, then the others.
            of_named += [r for r in rows if index.invoices[r].member_id not in members]
        rest = of_named or rows
    else:
        rest = rows
    out = []
    ways = 1
    basis = "named"
    tie = None
    if left > 0 and rest:
        exact = [r for r in rest if balance[r] == left] or _expecting(index, rest, left)
        billed = [r for r in rest if index.invoices[r].payer_id == account]
        if exact and not is_org and not used and len(exact) > 1:
            # Two open invoices of this amount (last year's and this year's dues at one price):
            # no sure match, unless the manager's rule picks one (``TIE_RULES``).
            tie = _tie(index, exact, left)
            if tie[0] is not None:
                exact = [tie[0]]
        if exact:
            basis = "single"
            owners = {index.invoices[r].member_id for r in exact}
            ways = len(owners) if is_org else 1
            alloc.append((exact[0], left))
            if tie is not None:
                for rival in tie[1]:
                    hyp = _hypothesis(
                        index, account, [*alloc[:-1], (rival, left)], 0, 1, used, basis
                    )
                    hyp.signals["tie"] = tie[2]
                    out.append(hyp)
            if is_org and len(owners) > 1:
                # Which employee? Offer the next one too, so a person sees both.
                first = index.invoices[exact[0]].member_id
                second = next(r for r in exact if index.invoices[r].member_id != first)
                rival = [*alloc[:-1], (second, left)]
                out.append(_hypothesis(index, account, rival, 0, ways, used, basis))
            left = 0
        elif is_org and billed and sum(balance[r] for r in billed) == left:
            basis = "all"  # the organisation's statement
            alloc.extend((r, balance[r]) for r in billed)
            left = 0
        elif is_org and (covering := _subset_covering(index, rest, left, staff)):
            # The invoices of everyone the memo names, summing to the amount: named, as if by
            # number.
            chosen, ways = covering
            if (
                staff is not None
                and not staff.complete
                and any(index.invoices[r].member_id not in staff.members for r in chosen)
            ):
                basis = "subset"  # others make up what the names the memo kept do not
            alloc.extend((r, balance[r]) for r in chosen)
            left = 0
        elif is_org and (found := _subset(balance, billed, left) or _subset(balance, rest, left)):
            basis = "subset"
            chosen, ways = found
            alloc.extend((r, balance[r]) for r in chosen)
            left = 0
        else:
            pool = (billed or rest) if is_org else rest
            basis = "all" if sum(balance[r] for r in pool) == left else "fifo"
            for r in pool:
                if left <= 0:
                    break
                take = min(balance[r], left)
                alloc.append((r, take))
                left -= take
    if not alloc:
        return []
    if not is_org and len(alloc) > 1 and left == 0 and len(alloc) == len(rows):
        basis = "all"  # everything the member owes, one invoice of it named
    chosen = _hypothesis(index, account, alloc, left, ways, used, basis)
    if tie is not None and tie[2]:
        chosen.signals["tie"] = tie[2]
    return [chosen, *out]


# What to do when a payer has several open invoices the amount equals: propose them all (a
# person chooses), or apply by the rule a manager chose, which the explanation names.
TIE_RULES = {
    "propose": "Propose each: a person chooses",
    "oldest": "Apply to the oldest invoice",
    "current": "Apply to the current term's invoice (the newest)",
}


def _tie(index, exact: list[int], cents: int):
    """(the invoice the rule picks or None, rivals to propose beside it, the explanation)."""
    rule = getattr(index, "tie_rule", "propose")
    n, amount = len(exact), f"{cents // 100}.{cents % 100:02d}"
    by_date = sorted(exact, key=lambda r: (index.dates[r], r))
    if rule == "oldest":
        return by_date[0], [], f"{n} open invoices of {amount}: the oldest, by the policy's rule"
    if rule == "current":
        return (
            by_date[-1],
            [],
            f"{n} open invoices of {amount}: the current term's, by the policy's rule",
        )
    return None, by_date[1:3], f"{n} open invoices of {amount}: a person chooses"


def _expecting(index, rows: list[int], cents: int) -> list[int]:
    """Invoices whose payment plan expects a payment of ``cents`` next (an instalment): the
    balance-equals convention, with the plan's amount standing for the balance."""
    return [r for r in rows if index.expects(r, cents)]


def _hypothesis(index, account, alloc, credit, ways, named, basis) -> Hypothesis:
    balance = index.cents
    short = any(take < balance[r] for r, take in alloc)
    if credit and not short:
        relation = "over"
    elif short and not credit:
        relation = "partial"
    elif short and credit:
        relation = "split"
    else:
        relation = "exact" if len(alloc) == 1 else "multi"
    if relation == "partial" and len(alloc) == 1 and index.expects(*alloc[0]):
        relation = "instalment"  # what the invoice's payment plan expects next
    return Hypothesis(account, list(alloc), credit, relation, ways, frozenset(named), basis)


COVER_MAX_MEMBERS = 6


def _subset_covering(index, rows: list[int], target: int, staff: NamedStaff | None):
    """Like ``_subset``, of the subsets that pay something for everyone the memo names
    ("Dues Wayne Bramarick, De La Cruz, Radacott": all three, not two of them; two De La Cruz
    employees answer to one entry). Of one employee's open invoices of one amount, only the one
    the manager's rule picks (``TIE_RULES``) is a different set of invoices to choose from."""
    if staff is None:
        return None
    members = staff.members
    names = sorted(set(members.values()))
    if not (2 if staff.complete else 1) <= len(names) <= COVER_MAX_MEMBERS:
        return None
    rows = _one_per_amount(index, rows)
    name_bit = {name: 1 << k for k, name in enumerate(names)}
    bits = {
        r: name_bit[members[index.invoices[r].member_id]]
        for r in rows
        if index.invoices[r].member_id in members
    }
    return _subsets(index.cents, rows, target, bits, (1 << len(names)) - 1)


def _one_per_amount(index, rows: list[int]) -> list[int]:
    """``rows`` with, of one member's invoices of one amount, the one the tie rule picks (the
    oldest or the newest); all of them when a person chooses."""
    rule = getattr(index, "tie_rule", "propose")
    if rule == "propose":
        return rows
    kept: dict[tuple[str, int], int] = {}
    for r in rows:
        key = (index.invoices[r].member_id, index.cents[r])
        have = kept.get(key)
        if have is None:
            kept[key] = r
            continue
        older = (index.dates[r], r) < (index.dates[have], have)
        if older == (rule == "oldest"):
            kept[key] = r
    chosen = set(kept.values())
    return [r for r in rows if r in chosen]


def _subset(balance: list[int], rows: list[int], target: int):
    """(rows of one subset of at least two summing exactly to target, how many such subsets)."""
    return _subsets(balance, rows, target, {}, 0)


def _subsets(balance: list[int], rows: list[int], target: int, bits: dict[int, int], cover: int):
    """Subsets of at least two rows summing exactly to ``target`` whose rows' ``bits`` together
    are ``cover``: (one of them, how many), or None; bounded, as the search gives up beyond
    ``SUBSET_MAX_STATES``."""
    rows = rows[:SUBSET_MAX_INVOICES]
    if len(rows) < 2 or target <= 0:
        return None
    # (total, bits covered) -> (how many subsets, one of them)
    states: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {(0, 0): (1, ())}
    for r in rows:
        value, mask = balance[r], bits.get(r, 0)
        updates: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}
        for (total, covered), (count, witness) in states.items():
            key = (total + value, covered | mask)
            if key[0] > target:
                continue
            have = updates.get(key) or states.get(key)
            if have is None:
                updates[key] = (count, (*witness, r))
            else:
                updates[key] = (have[0] + count, have[1])
        states.update(updates)
        if len(states) > SUBSET_MAX_STATES:
            return None
    found = states.get((target, cover))
    if found is None or len(found[1]) < 2:
        return None
    return found[1], found[0]
