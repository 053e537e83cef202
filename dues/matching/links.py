"""Who pays for whom: households and payment history, for payments made by someone else.

A member's dues are often paid by someone whose name is not the member's: a spouse or parent,
an employer, a foundation. A clerk places such a payment by what the association already knows:
the payer lives with a member (same surname and postal code as a person on file: a household),
or this payer paid this member's dues before (the product's record of applied payments: payer
name and e-mail as written then; and the mirror's billing history: a party billed for another
member's invoice). Built once per matching run from plain records; no ORM.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from . import text as tx


def postal_key(code: str) -> str:
    """A postal code compared as the post office means it: letters and digits only, a US
    ZIP+4 as its ZIP ("02139-4307" = "02139"; "K1A 0B1" = "K1A0B1")."""
    if len(code) == 5 and code.isdigit():
        return code
    key = "".join(c for c in (code or "").upper() if c.isalnum())
    if key.isdigit() and len(key) == 9:
        return key[:5]
    return key


@dataclass(frozen=True, slots=True)
class PayerKey:
    """A payer name as history keeps it: surname candidates and first names or initials."""

    tokens: tuple[str, ...]
    names: tuple[str, ...]  # tokens of two letters or more
    initials: frozenset[str]


def payer_key(name: str) -> PayerKey | None:
    return key_of_tokens(tx.parse_payer_name(name or "").tokens)


def key_of_tokens(tokens: tuple[str, ...]) -> PayerKey | None:
    # Particles of compound surnames are no one's first name ("M. De La Cruz").
    tokens = tuple(t for t in tokens if t not in tx.PARTICLES)
    if len(tokens) < 2:
        return None
    return PayerKey(tokens, tuple(t for t in tokens if len(t) > 1), frozenset(t[0] for t in tokens))


def same_payer(a: PayerKey, b: PayerKey) -> str:
    """How two written names are one payer: "full" (a surname and a first name agree), "initial"
    (a surname agrees, and an initial with the other's first name), or "" (not shown to be)."""
    how = ""
    for last in set(a.names) & set(b.names):
        if len(last) < 3:
            continue
        rest_a = [t for t in a.tokens if t != last]
        rest_b = [t for t in b.tokens if t != last]
        firsts_a = [t for t in rest_a if len(t) > 1]
        firsts_b = [t for t in rest_b if len(t) > 1]
        if any(tx.same_first_name(x, y) for x in firsts_a for y in firsts_b):
            return "full"
        if firsts_a and firsts_b:
            continue  # two different first names: two people of one family
        # An initial and a first name: only with a surname long enough to tell people apart.
        if len(last) >= 4 and {t[0] for t in rest_a} & {t[0] for t in rest_b}:
            how = "initial"
    return how


@dataclass(slots=True)
class Links:
    """Households and history, with lookups by name, e-mail and party."""

    household_of: dict[str, tuple[str, str]] = field(default_factory=dict)
    households: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    # history: (surname-like token, initial of another token) -> [(payer key, member id)]
    by_name: dict[tuple[str, str], list[tuple[PayerKey, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # organisations' payments: distinctive word -> [(name without corporate forms, member id)]
    by_org_word: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    by_email: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_payer: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def housemates(self, pid: str) -> list[str]:
        """Other people on file at the same postal code with the same surname."""
        key = self.household_of.get(pid)
        if key is None:
            return []
        return [p for p in self.households[key] if p != pid]

    def paid_before(self, payer: PayerKey) -> dict[str, str]:
        """Members a payer of this name paid for before, with how the names agree."""
        out: dict[str, str] = {}
        for key in sorted(_name_keys(payer)):
            for past, member in self.by_name.get(key, ()):
                how = same_payer(payer, past)
                if how and out.get(member) != "full":
                    out[member] = how
        return out

    def paid_before_by(self, name: str) -> dict[str, int]:
        """Members an organisation of this name paid for before, with how many members that
        organisation paid for in all."""
        core = tx.org_core(name)
        found: dict[str, set[str]] = {}
        for word in tx.org_tokens(name):
            for past, member in self.by_org_word.get(word, ()):
                if fuzz.token_set_ratio(core, past) >= 90:
                    found.setdefault(past, set()).add(member)
        return {m: len(members) for members in found.values() for m in members}


def _name_keys(payer: PayerKey) -> set[tuple[str, str]]:
    return {(t, o[0]) for t in payer.names if len(t) > 2 for o in payer.tokens if o != t}


def add_household(links: Links, pid: str, surname_key: str, code: str) -> None:
    """``code``: the postal code as ``postal_key`` reads it."""
    key = (surname_key, code)
    links.household_of[pid] = key
    links.households[key].append(pid)


def add_history(links: Links, past, people) -> None:
    """Index one past payment (``PastPayment``): by payer name unless the member paid it
    themselves, by an e-mail that is not the member's own on file, and by paying party."""
    member = past.member_id
    if not member:
        return
    person = people.get(member)
    payer_id = past.payer_id or ""
    if payer_id and payer_id != member:
        links.by_payer[payer_id].add(member)
    email = (past.email or "").strip().lower()
    if email and (person is None or email != person.email):
        links.by_email[email].add(member)
    if payer_id == member or not past.payer_name:
        return
    if person is not None and _plainly_self(past.payer_name, person):
        return
    payer = tx.parse_payer_name(past.payer_name)
    key = key_of_tokens(payer.tokens)
    if key is None or (person is not None and _is_self(key, person, people)):
        return
    if payer.corporate:
        # An organisation's name is no person's name to compare as one.
        core = tx.org_core(past.payer_name)
        for word in tx.org_tokens(past.payer_name):
            links.by_org_word[word].append((core, member))
        return
    for name_key in _name_keys(key):
        links.by_name[name_key].append((key, member))


def _plainly_self(name: str, person) -> bool:
    """The member's surname and first name or initial, as written (most past payments): a
    quick test before reading the name properly."""
    words = tx.fold(name).split()
    return any(k in words for k in person.last_keys) and (
        any(f in words for f in person.firsts) or person.initial in words
    )


def _is_self(key: PayerKey, person, people) -> bool:
    """The member's own name (a payment the member made), or their employer's: nothing to
    learn from."""
    employer = people.get(person.org_id) if person.org_id else None
    if employer is not None and any(w in key.tokens for w in employer.org_words):
        return True
    if person.is_org:
        return False
    # The surname as the member's, or one typing error from it ("S GRY" for Sharon Gray).
    surname = [t for t in key.tokens if any(_close(t, k) for k in person.last_keys)]
    if not surname:
        return False
    others = [t for t in key.tokens if t not in surname]
    return any(
        tx.same_first_name(t, f) or (len(t) == 1 and t == f[0]) or _close(t, f)
        for t in others
        for f in person.firsts
    )


def _close(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 3 and OSA.distance(a, b, score_cutoff=1) <= 1)
