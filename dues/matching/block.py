"""Blocking for payment matching: the accounts worth scoring for a payment, gathered only from
evidence (ids read, e-mail, names, households and payment history, organisation words, and an
amount shared by few invoices when nothing else points anywhere), strongest first.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from . import index as mi
from . import links as ml
from . import model as m
from . import text as tx
from .index import MatchIndex
from .names import cut_off, name_lr
from .read import Evidence


def _link(ev: Evidence, index: MatchIndex) -> None:
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
            found, lr = name_lr(payer, index.people[pid], index, pid)
            if found not in ("full", "initial", "fuzzy"):
                continue
            for mate in links.housemates(pid):
                offer(
                    mate,
                    "household",
                    m.P_HOUSEHOLD * lr,
                    "payer lives with the member (same surname and postal code)",
                )
            for member in sorted(links.by_payer.get(pid, ())):
                offer(
                    member,
                    "paid_before",
                    m.P_PAID_BEFORE * lr,
                    "payer paid this member's dues before",
                )
    if payer.corporate:
        for member, paid_for in links.paid_before_by(payer.raw).items():
            offer(
                member,
                "paid_before",
                m.P_PAID_BEFORE * index.n_accounts / paid_for,
                "payer paid this member's dues before",
            )
        return
    if not links.by_name:
        return
    readings = [(payer.tokens, 1.0)]
    for t in payer.tokens:
        if len(t) >= 4 and t not in index.by_last:
            # A surname mistyped this time ("ALDHRUST" for the "D. Aldhurst" of last year).
            readings.extend(
                (tuple(near if x == t else x for x in payer.tokens), m.P_NAME_TYPO)
                for near in index.surnames_near(t)
            )
    for tokens, typo in readings:
        key = ml.key_of_tokens(tokens)
        if key is None:
            continue
        for member, how in links.paid_before(key).items():
            frequency = _name_frequency(index, key.tokens, initial=how == "initial")
            offer(
                member,
                "paid_before",
                m.P_PAID_BEFORE * m.P_NAME[how] * typo / frequency,
                "payer paid this member's dues before",
            )


def _people_named(index: MatchIndex, payer: tx.PayerName) -> list[str]:
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
    return sorted(out)


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


def block(ev: Evidence, index: MatchIndex) -> list[str]:
    """Accounts worth scoring, strongest evidence first."""
    accounts: dict[str, None] = {}

    def add(pids, cap: int = m.MAX_ACCOUNTS):
        for pid in pids:
            if len(accounts) >= cap:
                return
            if pid:
                accounts[pid] = None

    for row in ev.inv_refs:
        inv = index.invoices[row]
        add((inv.member_id, inv.payer_id), m.MAX_ACCOUNTS * 2)
    add(ev.party_refs, m.MAX_ACCOUNTS * 2)
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
        for key in _in_order(ev.payer):
            add(index.links.households.get((key, ev.postal), ())[:10])
    if ev.email:
        add(sorted(index.links.by_email.get(ev.email, ()))[:10])
    _block_names(ev, index, add, ev.payer)
    if ev.memo_words:
        _block_names(ev, index, add, tx.parse_payer_name(ev.memo_text), relatives=False)
    if ev.exact_ids and not _ids_fit(ev, index):
        # Ids are dense, so a mistyped id is usually someone else's: when what it names fits
        # neither the amount (an invoice's own balance) nor a name in the remittance, look at
        # the ids one keystroke away.
        named = ev.payer.keys | ev.memo_words
        for pid in _near_members(ev, index):
            person = index.people.get(pid)
            if person is not None and (
                (pid, ev.cents) in index.party_amounts or any(k in named for k in person.last_keys)
            ):
                add((pid,), m.MAX_ACCOUNTS * 2)
    if not accounts and not ev.payer.tokens and not ev.email:
        bucket = index.by_amount.get(ev.cents, ())
        if len(bucket) <= m.BUCKET_MAX:
            add(index.invoices[r].payer_id or index.invoices[r].member_id for r in bucket)
    return [a for a in accounts if index.is_account(a)]


def _ids_fit(ev: Evidence, index: MatchIndex) -> bool:
    """What the ids read exactly name fits the payment: an invoice named whose balance is the
    amount, or a party named who owes it; or a name in the remittance is theirs."""
    named = ev.payer.keys | ev.memo_words

    def named_in_remittance(pid: str) -> bool:
        person = index.people.get(pid)
        return person is not None and any(k in named for k in person.last_keys)

    for pid, (how, _) in ev.party_refs.items():
        if how == "exact" and ((pid, ev.cents) in index.party_amounts or named_in_remittance(pid)):
            return True
    for row, (how, _, _) in ev.inv_refs.items():
        if how != "exact":
            continue
        invoice = index.invoices[row]
        if index.cents[row] == ev.cents or ev.rmr_paid.get(row) == ev.cents:
            return True
        if named_in_remittance(invoice.member_id) or named_in_remittance(invoice.payer_id):
            return True
    return False


def _near_members(ev: Evidence, index: MatchIndex) -> list[str]:
    out = []
    for digits in ev.exact_ids:
        if len(digits) < 5:
            continue
        for v in sorted(tx.digit_variants(digits)):
            out.extend(index.party_by_number.get(v, ()))
            out.extend(index.invoices[r].member_id for r in index.inv_by_number.get(v, ()))
    return out


def _block_names(ev: Evidence, index: MatchIndex, add, payer, *, relatives=True) -> None:
    if not payer.tokens:
        return
    firsts = [t for t in payer.tokens if len(t) > 1]
    # Initials, also run together ("JM KOWALSKI": J and M).
    initials = sorted({t[0] for t in payer.tokens if len(t) <= 2})
    found = False
    # Surnames on file in another script that a word of the payer transliterates.
    spelled = [k for t in payer.tokens for k in index.by_skeleton.get(tx.skeleton(t), ())]
    for key in dict.fromkeys([*_in_order(payer), *spelled]):
        if key not in index.by_last:
            continue
        named = [t for t in firsts if t != key and t not in tx.PARTICLES]
        hit = initial_hit = False
        for token in named:
            for variant in sorted(tx.first_name_variants(token)):
                pids = index.by_last_first.get((key, variant))
                if pids:
                    hit = True
                    add(pids[:40])
            # A record that holds only the initial of the name written ("J. Okafor").
            add(index.by_last_first.get((key, token[0]), ())[:20])
        for initial in initials:
            add(index.by_last_initial.get((key, initial), ())[:40])
            initial_hit = initial_hit or (key, initial) in index.by_last_initial
        if not hit and key in spelled:
            # The given name transliterated too: the people of this surname whose record is in
            # another script (not everyone of a common surname also written in Latin letters).
            add([p for p in index.by_last.get(key, ()) if index.people[p].last_skeletons][:40])
            hit = True
        if not hit:
            # "Jon" for "John", "Micheal", "nna" for Anna: the same surname and a close first
            # name (an initial that fits someone may be a middle initial: "LUCI C WISNIEWSKI").
            _close_first_names(index, add, key, named)
        # A first name written in full that fits no one of this surname as written: perhaps
        # the surname is someone else's mistyped ("SIMON OAKAWICK" for Simon Oakanwick).
        found = found or hit or (initial_hit and not named)
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
        cut = cut_off(payer)
        for key in index.surnames_starting(cut) if cut else ():
            _block_near_surname(ev, index, add, key, cut, firsts, initials, relatives)
    if not relatives:
        return
    # A relative paying: the same surname and the first name the memo gives ("for Kenji"),
    # or the same surname and an open invoice for exactly this amount.
    for key in _in_order(payer):
        for word in sorted(ev.memo_words):
            add(index.by_last_first.get((key, word), ())[:10])
        add(index.by_last_amount.get((key, ev.cents), ())[:12])
    for token in payer.tokens:
        add(index.by_org_word.get(token, ())[:20])


def _in_order(payer: tx.PayerName) -> list[str]:
    """The payer's surname keys in the order written, joined forms after: the same order in
    every process (a set's order changes with the interpreter's hash seed, and which accounts
    fit under ``MAX_ACCOUNTS`` with it)."""
    written = [t for t in payer.tokens if t in payer.keys]
    return [*written, *sorted(payer.keys - set(written))]


SURNAME_SCAN = 300  # people of one surname compared one by one for a mistyped first name


def _close_first_names(index: MatchIndex, add, key: str, named: list[str]) -> None:
    """Add the people of surname ``key`` whose first name is one typing error or so from a name
    written (same initial; or any, for a surname few people have)."""
    everyone = index.by_last.get(key, ())
    for token in named:
        if len(everyone) <= SURNAME_SCAN:
            pool = everyone
        else:
            pool = index.by_last_initial.get((key, token[0]), ())[:200]
        for pid in pool:
            if any(fuzz.ratio(token, f) >= 75 for f in index.people[pid].firsts):
                add((pid,))


def _block_near_surname(ev, index, add, key, typed, firsts, initials, relatives) -> None:
    """People with surname ``key`` (the payer wrote ``typed``) whom the rest of the name fits."""
    for other in firsts:
        if other == typed:
            continue
        for variant in sorted(tx.first_name_variants(other)):
            add(index.by_last_first.get((key, variant), ())[:20])
        for pid in index.by_last_initial.get((key, other[0]), ())[:50]:
            if any(fuzz.ratio(other, f) >= 75 for f in index.people[pid].firsts):
                add((pid,))
    for initial in initials:
        add(index.by_last_initial.get((key, initial), ())[:20])
    if relatives:
        for word in sorted(ev.memo_words):
            add(index.by_last_first.get((key, word), ())[:10])
        add(index.by_last_amount.get((key, ev.cents), ())[:12])


def unlisted_mass(ev: Evidence) -> float:
    """How well a random unlisted account explains what was observed (the 'someone else')."""
    mass = 1.0
    if ev.payer.tokens:
        mass *= m.P_NAME_UNRELATED
    if ev.email:
        mass *= m.P_EMAIL_OTHER
    if ev.exact_ids:
        mass *= m.LR_OTHER_ID
    return mass
