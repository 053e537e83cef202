"""The employees an organisation's payment memo names ("Dues K CLARK, M ALDELFIELD, ...").

Accounts payable lists whom a payment is for, one name to an entry: "K CLARK", "Clark, K",
"CLARK K", "Kim Clark", a surname alone; typed by hand (one or two letters wrong), written in
Latin letters for a name on file in another script, and, at the end of a long list, cut off by
the bank's memo field (the last surname cut short, or the last names missing). Each entry is
read against the organisation's employees who owe: the surname as written (exact, transliterated,
mistyped, or cut at the end of the memo), and a given name or initial, when written, agreeing.
The payment is then spread over those employees' open invoices only, paying something for each
entry (``alloc.allocate``); when the list was cut, other employees may make up the rest.

Pure functions over the matching index; the memo is untrusted text, only read for evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from . import index as mi
from . import text as tx

# A memo this long may have been cut by the bank's field (an ACH addenda holds 80 characters,
# many banks' memo lines fewer): its last entry, or entries after it, may be missing.
CUT_MIN_LENGTH = 30
_ENTRY_SPLIT = re.compile(r"[,;/&+|]|\band\b", re.IGNORECASE)
# How sure a surname reading is, best first.
EXACT, TYPO, CUT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Entry:
    """One name of the memo's list: its folded words, in the order written."""

    words: tuple[str, ...]
    last: bool  # the memo's last entry (may be cut short)


@dataclass(frozen=True, slots=True)
class NamedStaff:
    """Employees the memo names: member -> the entry naming them (two employees answering to
    one entry, "CRUZ" for two De La Cruz, share it); ``complete``: every entry names someone
    and the list was not cut, so the payment is for these employees only."""

    members: dict[str, str]
    complete: bool


@lru_cache(maxsize=4096)
def memo_entries(memo: str) -> tuple[tuple[Entry, ...], bool]:
    """The name entries of a memo, and whether it is long enough to have been cut."""
    raw = (memo or "").strip()
    pieces: list[tuple[str, ...]] = []
    for piece in _ENTRY_SPLIT.split(raw):
        words = tuple(
            w for w in tx.fold(piece).split() if not w.isdigit() and w not in tx.MEMO_NOISE
        )
        if not words:
            continue
        if pieces and all(len(w) == 1 for w in words):
            # "CLARK, K": the initials after a comma belong to the surname before it.
            pieces[-1] = (*pieces[-1], *words)
            continue
        pieces.append(words)
    entries = tuple(Entry(w, n == len(pieces) - 1) for n, w in enumerate(pieces))
    return entries, len(raw) >= CUT_MIN_LENGTH


def named_staff(memo: str, index: mi.MatchIndex, rows: list[int]) -> NamedStaff | None:
    """The employees among the owners of ``rows`` (an organisation's open invoices and its
    employees') whom ``memo`` names, or None when it names none of them."""
    entries, long_memo = memo_entries(memo)
    if not entries:
        return None
    people = {}
    for r in rows:
        person = index.people.get(index.invoices[r].member_id)
        if person is not None and not person.is_org:
            people[person.party_id] = person
    members: dict[str, str] = {}
    unnamed = 0
    cut = False
    for n, entry in enumerate(entries):
        found = _readers(entry, people.values(), long_memo)
        if not found:
            unnamed += 1
            continue
        quality, who = found
        cut = cut or quality == CUT
        for pid in who:
            members.setdefault(pid, str(n))
    if not members:
        return None
    # An entry that names no one owing (a name cut beyond reading, an employee paid up, a word
    # that is no name), or a memo long enough to have lost entries at the cut: the employees
    # named are paid for, and others may make up the rest.
    complete = not cut and unnamed == 0 and not (long_memo and _ends_cut(memo))
    return NamedStaff(members, complete)


def _ends_cut(memo: str) -> bool:
    """The memo ends inside a list (a separator last: "K CLARK, M ALDELFIELD,")."""
    return memo.rstrip()[-1:] in ",;/&+"


def _readers(entry: Entry, people, long_memo: bool):
    """(how sure, the employees the entry reads as) at the surest reading, or None."""
    best = None
    for person in people:
        quality = _reading(entry, person, long_memo)
        if quality is None:
            continue
        if best is None or quality < best[0]:
            best = (quality, [person.party_id])
        elif quality == best[0]:
            best[1].append(person.party_id)
    return best


def _reading(entry: Entry, person: mi.Person, long_memo: bool) -> int | None:
    """How the entry reads as this person (EXACT, TYPO, CUT), or None when it does not."""
    words = entry.words
    joined = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)}
    best: tuple[int, set[str]] | None = None
    for n, word in enumerate(words):
        quality = _surname_fits(word, person, long_memo and entry.last and n == len(words) - 1)
        if quality is not None and (best is None or quality < best[0]):
            best = (quality, {word})
    for word in joined:  # "DE LA CRUZ", "O BRIEN"
        if word in person.last_keys:
            best = (EXACT, set(words))
    if best is None:
        return None
    given = [
        w
        for w in words
        if w not in best[1] and w not in tx.PARTICLES and not _part_of_surname(w, person)
    ]
    if given and not any(_given_fits(w, person) for w in given):
        return None  # "K CLARK" is not Mary Clark
    return best[0]


def _surname_fits(word: str, person: mi.Person, may_be_cut: bool) -> int | None:
    keys = person.last_keys
    if word in keys:
        return EXACT
    if person.last_skeletons and tx.skeleton(word) in person.last_skeletons:
        return EXACT  # a transliteration of a name on file in another script
    if may_be_cut and len(word) >= 3 and any(k.startswith(word) and k != word for k in keys):
        return CUT  # the bank's field ended inside it ("S BRENNA" for Brennan-Walsh)
    if len(word) >= 4:
        allowed = 2 if len(word) >= 8 else 1
        if any(OSA.distance(word, k, score_cutoff=allowed) <= allowed for k in keys):
            return TYPO
        if person.last_skeletons and any(
            OSA.distance(tx.skeleton(word), s, score_cutoff=1) <= 1 for s in person.last_skeletons
        ):
            return TYPO
    return None


def _part_of_surname(word: str, person: mi.Person) -> bool:
    return any(word in k and k != word and len(word) > 1 for k in person.last_keys)


def _given_fits(word: str, person: mi.Person) -> bool:
    """A given name or initial as written agrees with the person's (first, informal, middle)."""
    if word in person.middles:
        return True
    if person.first_skeletons and len(word) <= 2:
        # An initial of a given name on file in another script: transliterations disagree on
        # its first letter (Χρήστος is C, CH, KH, H or X; Юлия is I, J, Y or YU).
        return True
    for first in person.firsts:
        if len(word) == 1 or len(first) == 1:
            if word[0] == first[0]:
                return True
            continue
        if len(word) == 2 and word[0] == first[0] and word[1] in person.middles:
            return True  # initials run together: "KM CLARK"
        if len(word) == 2 and first.startswith(word):
            return True  # the first two letters, as for a digraph: "TH", "CH"
        if tx.same_first_name(word, first) or (len(word) >= 3 and fuzz.ratio(word, first) >= 75):
            return True
    return bool(person.first_skeletons and tx.skeleton(word) in person.first_skeletons)
