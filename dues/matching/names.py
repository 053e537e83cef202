"""How well a payer's written name fits a person or organisation on file (payment matching):
surname, first name, initial, nickname, typing errors, names cut by a bank's field, and how
common each is in the book, as a likelihood ratio.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from . import index as mi
from . import model as m
from . import text as tx
from .index import MatchIndex


def name_lr(payer: tx.PayerName, person: mi.Person, index: MatchIndex, pid: str):
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
        if _person_shaped(payer, person):
            strength *= m.P_ORG_WRITTEN_AS_PERSON
        return "org", m.P_NAME["org"] * strength / share
    keys = payer.keys
    cut = cut_off(payer)
    last_hit = any(k in keys for k in person.last_keys)
    spelled = ()  # a name on file in another script: the payer's transliteration of it
    if person.last_skeletons:
        spelled = tuple(tx.skeleton(t) for t in payer.tokens)
        last_hit = last_hit or any(s in spelled for s in person.last_skeletons)
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
    middle = ""  # the initial of the middle name written too (in full or as its initial)
    other_name = False  # a first name that is not this person's
    leading_other = False  # an initial written before the given name's that is not this person's
    for n, t in enumerate(payer.tokens):
        if t in person.last_keys or _surname_part(t, person, cut) or _particle_of(t, person):
            continue
        if t in person.middles and (first_kind or not _given(t, person)):
            # A middle name or its initial: no other person's first name. The given name's
            # initial first when both begin alike ("A A MARSHELMONT" for Adrian A. Marshelmont,
            # the letter written once as the payer's words are read).
            middle = t[0]
            continue
        if spelled and spelled[n] in person.last_skeletons:
            continue
        if spelled and spelled[n] in person.first_skeletons:
            first_kind = "full"
            break
        fits = False
        for first in person.firsts:
            if tx.same_first_name(t, first):
                first_kind, fits = "full", True
                break
            if (len(t) == 1 and t == first[0]) or (len(first) == 1 and t[0] == first):
                # An initial for the given name, or a given name where the record holds only
                # its initial ("J. Okafor" on file).
                first_kind, fits = first_kind or "initial", True
            elif len(t) == 2 and t[0] == first[0] and t[1] in person.middles:
                first_kind, fits = first_kind or "initial", True  # initials run together: "JR"
                middle = t[1]
            elif len(t) >= 3 and fuzz.ratio(t, first) >= 75:
                first_kind, fits = first_kind or "fuzzy", True
        if first_kind == "full" and (middle or not person.middles):
            break  # read on only for a middle name written after the given name
        other_name = other_name or (len(t) > 1 and not fits)
        leading_other = leading_other or (len(t) == 1 and not fits and not first_kind)
    if first_kind == "initial" and other_name:
        first_kind = ""  # "LUCIA C WISNIEWSKI": C is a middle initial, not Chloe's
    first = person.firsts[0] if person.firsts else ""
    # The middle name's initial written and agreeing: as rare by chance as that initial is
    # among the middle names on file ("SUSAN C GRIMENFIELD", "I N FAIRANHAM", "JR SMITH").
    agrees = m.P_MIDDLE_AGREES / index.f_middle_initial(middle) if middle else 1.0
    if first_kind == "full" and last_hit:
        return "full", agrees * m.P_NAME["full"] / (f_last * index.f_first(first))
    if first_kind == "full" or (first_kind == "fuzzy" and last_hit):
        return "fuzzy", m.P_NAME["fuzzy"] / (5 * f_last * index.f_first(first))
    if first_kind == "initial" and last_fuzzy:
        return "fuzzy", m.P_NAME["fuzzy"] / (5 * f_last * index.f_initial(person.initial))
    if first_kind == "initial" and last_hit:
        if leading_other:
            agrees *= m.P_LEADING_INITIAL_OTHER
        return "initial", agrees * m.P_NAME["initial"] / (f_last * index.f_initial(person.initial))
    if last_hit:
        return "last_only", m.P_NAME["last_only"] / f_last
    if last_fuzzy:
        return "last_typo", m.P_NAME["last_only"] * m.P_NAME_TYPO / f_last
    return "", 0.0


def _person_shaped(payer: tx.PayerName, org: mi.Person) -> bool:
    """One word and initials ("S TALAMONT", "TALAMONT S", "N N PEMIMONT"): how a person's name
    is written, not an organisation's, unless each initial starts a word of its name. Two words
    or more ("NOD CONSULTING G") are an organisation's name cut by the bank's field."""
    initials = [t for t in payer.tokens if len(t) == 1]
    starts = {w[0] for w in org.org_core.split()}
    return len(payer.tokens) - len(initials) == 1 and any(t not in starts for t in initials)


def _given(token: str, person: mi.Person) -> bool:
    """The token is the person's given name or its initial."""
    return any(
        (len(token) == 1 and token == first[0]) or tx.same_first_name(token, first)
        for first in person.firsts
    )


def _particle_of(token: str, person: mi.Person) -> bool:
    """The token is a particle of this person's compound surname ("ST" of St. John, "LA" of De
    La Cruz): part of the surname, not a first name or initial of someone else."""
    return token in tx.PARTICLES and any(token in k and k != token for k in person.last_keys)


def _surname_part(token: str, person: mi.Person, cut: str) -> bool:
    """The token is this person's surname cut off by a bank's field, or mistyped."""
    return any(
        (token == cut and k.startswith(token))
        or (len(token) >= 3 and OSA.distance(token, k, score_cutoff=1) <= 1)
        for k in person.last_keys
    )


def cut_off(payer: tx.PayerName) -> str:
    """The last word of a name long enough to have been cut by a bank's field (16 or 22
    characters: "MARGARET O'SULLIVAN-FI"), or ""."""
    return _last_word_if_long(payer.raw, payer.text)


@lru_cache(maxsize=4096)
def _last_word_if_long(raw: str, text: str) -> str:
    words = text.split()
    if len(raw.strip()) < 15 or not words or len(words[-1]) < 4:
        return ""
    return words[-1]
