"""The lookup structures payment matching blocks on: ids, e-mails, surnames, amounts, employers.

Built once per matching run from plain records (``OpenInvoice``, ``Party`` in ``matcher``);
no ORM. Surnames are indexed by their folded forms (accents off, umlauts also written out,
compound names also by their parts), with the first name, the first initial and a phonetic key
beside them; frequencies of surnames, first names and amounts are counted so that evidence can
be weighed against how common it is in this book.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rapidfuzz.distance import OSA

from common.money import CENT, to_money

from . import links as ml
from . import text as tx

PRICE_SHARE = 0.005  # an amount owed on this share of open invoices is a price the book bills
PUBLIC_DOMAINS = tx.words_set(
    "gmail.com googlemail.com yahoo.com yahoo.ca ymail.com outlook.com hotmail.com live.com "
    "msn.com icloud.com me.com mac.com aol.com proton.me protonmail.com comcast.net verizon.net "
    "att.net sbcglobal.net gmx.com gmx.net mail.com zoho.com fastmail.com rogers.com shaw.ca "
    "sympatico.ca"
)


def cents_of(amount: Decimal) -> int:
    return int(to_money(amount) / CENT)


@dataclass(slots=True)
class Person:
    """A party as matching compares it."""

    party_id: str
    is_org: bool
    org_id: str
    last_keys: tuple[str, ...]
    firsts: tuple[str, ...]  # folded first and informal names
    initial: str
    org_core: str  # an organisation's name without corporate forms
    org_words: tuple[str, ...]  # its distinctive words
    email: str
    display: str  # folded "first last", or the organisation's core name
    middles: tuple[str, ...] = ()  # folded middle names and their initials
    # A name on file in another script: the skeletons (text.skeleton) of its surnames and given
    # names, which every transliteration of it shares.
    last_skeletons: tuple[str, ...] = ()
    first_skeletons: tuple[str, ...] = ()


class MatchIndex:
    """Everything ``match`` looks up, built once by ``build_index``."""

    def __init__(self) -> None:
        self.invoices: list = []
        self.cents: list[int] = []
        self.numbers: list[str] = []  # digits of each invoice number, for typo checks
        self.dates: list[date] = []
        self.inv_by_number: dict[str, list[int]] = defaultdict(list)
        self.people: dict[str, Person] = {}
        self.party_by_number: dict[str, list[str]] = defaultdict(list)
        self.account_rows: dict[str, list[int]] = defaultdict(list)
        self.employees: dict[str, list[str]] = defaultdict(list)
        self.by_email: dict[str, list[str]] = defaultdict(list)
        self.by_domain: dict[str, list[str]] = defaultdict(list)
        self.by_last_first: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_last_initial: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_last: dict[str, list[str]] = defaultdict(list)
        # first name -> (party ids, their surnames), for surnames mistyped at the start
        self.by_first: dict[str, tuple[list[str], list[str]]] = {}
        self.by_soundex_initial: dict[tuple[str, str], list[str]] = defaultdict(list)
        # surname keys by themselves and with one letter deleted: the surnames one typing error
        # (a letter dropped, added, changed, or two swapped) from a word are found through it
        self.by_delete: dict[str, list[str]] = defaultdict(list)
        self.by_org_word: dict[str, list[str]] = defaultdict(list)
        self.by_amount: dict[int, list[int]] = defaultdict(list)
        self.party_amounts: set[tuple[str, int]] = set()
        self.by_last_amount: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.last_count: dict[str, int] = defaultdict(int)
        self.first_count: dict[str, int] = defaultdict(int)
        self.initial_count: dict[str, int] = defaultdict(int)
        # initials of middle (or second given) names, over the persons who have one on file
        self.middle_initial_count: dict[str, int] = defaultdict(int)
        self.n_with_middle = 0
        self.n_persons = 0
        self.n_parties = 0
        self.n_accounts = 1
        self.links = ml.Links()
        self.postal_of: dict[str, str] = {}  # party -> postal code (as postal_key reads it)
        self.postal_count: dict[str, int] = defaultdict(int)
        self.price_floor = 5.0
        self.sorted_lasts: list[str] = []
        self.by_skeleton: dict[str, list[str]] = defaultdict(list)  # -> surname keys
        self.tie_rule = "propose"  # several open invoices equal the amount: alloc.TIE_RULES
        # row -> amounts (cents) a payment plan expects next on the invoice: ``add_expected``
        self.expected: dict[int, frozenset[int]] = {}

    # -- how common something is in this book (smoothed) ---------------------------------
    def f_last(self, key: str) -> float:
        return (self.last_count.get(key, 0) + 1) / (self.n_persons + 100)

    def f_first(self, name: str) -> float:
        return (self.first_count.get(name, 0) + 1) / (self.n_persons + 100)

    def f_initial(self, letter: str) -> float:
        return (self.initial_count.get(letter, 0) + 1) / (self.n_persons + 26)

    def f_middle_initial(self, letter: str) -> float:
        """How often a person with a middle name on file has one starting with ``letter``."""
        return (self.middle_initial_count.get(letter, 0) + 1) / (self.n_with_middle + 26)

    def f_email(self, email: str) -> float:
        return max(len(self.by_email.get(email, ())), 1) / max(self.n_parties, 1)

    # -- accounts ------------------------------------------------------------------------
    def rows_of(self, account: str) -> list[int]:
        """Open invoices an account could be paying: its own and those billed to it, and for an
        organisation also its employees' (an employer may pay dues it was not billed for)."""
        rows = list(self.account_rows.get(account, ()))
        person = self.people.get(account)
        if person is not None and person.is_org:
            seen = set(rows)
            for employee in self.employees.get(account, ())[:300]:
                for r in self.account_rows.get(employee, ()):
                    if r not in seen:
                        seen.add(r)
                        rows.append(r)
        return rows

    def surnames_near(self, word: str) -> list[str]:
        """Surname keys one typing error from ``word`` (not ``word`` itself)."""
        if len(word) < 3:
            return []
        found = set(self.by_delete.get(word, ()))
        for variant in _deletes(word):
            found.update(self.by_delete.get(variant, ()))
        found.discard(word)
        return sorted(k for k in found if OSA.distance(word, k, score_cutoff=1) <= 1)

    def surnames_starting(self, prefix: str, limit: int = 5) -> list[str]:
        """Surname keys that begin with ``prefix`` (a name cut short by a bank's field)."""
        keys = self.sorted_lasts
        i = bisect_left(keys, prefix)
        out = []
        while i < len(keys) and keys[i].startswith(prefix) and len(out) < limit:
            if keys[i] != prefix:
                out.append(keys[i])
            i += 1
        return out

    def is_price(self, cents: int) -> bool:
        """An amount owed on many open invoices: one of the prices the association bills."""
        return len(self.by_amount.get(cents, ())) >= self.price_floor

    def expects(self, row: int, cents: int) -> bool:
        """The invoice's payment plan expects a payment of ``cents`` next (an instalment)."""
        return cents in self.expected.get(row, ())

    def is_account(self, party_id: str) -> bool:
        return party_id in self.account_rows or party_id in self.employees


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _number_keys(number: str) -> set[str]:
    if number.isdigit():
        return {number.lstrip("0") or "0"}
    keys = set()
    alnum = "".join(c for c in number.upper() if c.isalnum())
    if alnum:
        keys.add(alnum)
    digits = "".join(c for c in number if c.isdigit())
    if digits and (alnum.isdigit() or len(digits) >= 3):
        keys.add(digits.lstrip("0") or "0")
    return keys


def build(invoices, parties, history=()) -> MatchIndex:
    index = MatchIndex()
    for party in parties:
        _add_party(index, party)
    for past in history:
        ml.add_history(index.links, past, index.people)
    for person in index.people.values():
        if person.org_id and not person.is_org:
            index.employees[person.org_id].append(person.party_id)
    inv_by_number, by_amount = index.inv_by_number, index.by_amount
    account_rows, party_amounts = index.account_rows, index.party_amounts
    for inv in invoices:
        balance = inv.balance
        if balance is None or balance <= 0:
            continue
        row = len(index.invoices)
        scaled = balance * 100
        cents = int(scaled)
        if cents != scaled:  # more than two decimals: round as money rounds
            cents = cents_of(balance)
        number = inv.number or inv.invoice_id
        index.invoices.append(inv)
        index.cents.append(cents)
        if number.isdigit():
            digits = number.lstrip("0")
            inv_by_number[digits or "0"].append(row)
        else:
            digits = "".join(c for c in number if c.isdigit()).lstrip("0")
            for key in _number_keys(number):
                inv_by_number[key].append(row)
        index.numbers.append(digits)
        index.dates.append(inv.invoice_date or date.max)
        by_amount[cents].append(row)
        member, payer = inv.member_id, inv.payer_id
        if member:
            account_rows[member].append(row)
            party_amounts.add((member, cents))
        if payer and payer != member:
            account_rows[payer].append(row)
            party_amounts.add((payer, cents))
    dates, all_cents = index.dates, index.cents
    newest: dict[str, date] = {}
    for pid, rows in account_rows.items():
        if len(rows) > 1:
            rows.sort(key=lambda r: (dates[r], r))
        person = index.people.get(pid)
        if person is not None and not person.is_org:
            newest[pid] = dates[rows[-1]]
            for cents in {all_cents[r] for r in rows}:
                for key in person.last_keys:
                    index.by_last_amount[(key, cents)].append(pid)
    # Relatives paying are looked up by surname and amount, a few at most: those whose invoice
    # is newest, as equal candidates are shown.
    for found in index.by_last_amount.values():
        if len(found) > 12:
            found.sort(key=newest.__getitem__, reverse=True)
    index.sorted_lasts = sorted(index.last_count)
    by_delete = index.by_delete
    for key in index.last_count:
        if len(key) >= 3:
            by_delete[key].append(key)
            for variant in _deletes(key):
                by_delete[variant].append(key)
    index.n_accounts = max(len(account_rows), 1)
    index.price_floor = max(5, PRICE_SHARE * len(index.invoices))
    return index


def _add_party(index: MatchIndex, party) -> None:
    pid = party.party_id
    index.n_parties += 1
    postal = ml.postal_key(getattr(party, "postal_code", ""))
    if postal:
        index.postal_of[pid] = postal
        index.postal_count[postal] += 1
    if pid.isdigit():
        index.party_by_number[pid.lstrip("0") or "0"].append(pid)
    email = (party.email or "").strip().lower()
    if email:
        index.by_email[email].append(pid)
        domain = email.rpartition("@")[2]
        if domain and domain not in PUBLIC_DOMAINS:
            owner = pid if party.is_org else party.org_id
            if owner:
                index.by_domain[domain].append(owner)
    if party.is_org:
        core = tx.org_core(party.name)
        words = tx.org_tokens(party.name)
        index.people[pid] = Person(pid, True, "", (), (), "", core, words, email, core)
        for word in words:
            index.by_org_word[word].append(pid)
        return
    first = tx.fold(party.first_name).split()
    last = party.last_name
    if not last and party.name:
        tokens = tx.parse_payer_name(party.name).tokens
        last = tokens[-1] if tokens else ""
        first = first or list(tokens[:1]) if len(tokens) > 1 else first
    informal = tx.fold(getattr(party, "informal_name", "") or "").split()
    firsts = tuple(first[:1])
    if informal and informal[0] not in firsts:
        firsts += (informal[0],)
    # Second given names ("Mary Ann") and middle names, and their initials: a payer writes them
    # or leaves them out ("J R TOLKIEN", "JOHN RONALD TOLKIEN").
    middle_words = [*first[1:], *tx.fold(getattr(party, "middle_name", "") or "").split()]
    middles = tuple(dict.fromkeys([*middle_words, *(w[0] for w in middle_words)]))
    # Every surname the record holds: the current one first, then former ones (a maiden name).
    last_keys = tx.surname_keys(last)
    for former in getattr(party, "former_names", ()) or ():
        last_keys += tuple(k for k in tx.surname_keys(former) if k not in last_keys)
    initial = firsts[0][0] if firsts else ""
    display = " ".join([*first[:1], tx.fold(last)]).strip()
    index.people[pid] = Person(
        pid,
        False,
        party.org_id or "",
        last_keys,
        firsts,
        initial,
        tx.org_core(party.org_name or ""),
        (),
        email,
        display,
        middles,
    )
    if tx.other_script(f"{party.first_name}{last}"):
        person = index.people[pid]
        person.last_skeletons = tuple(tx.skeleton(k) for k in last_keys)
        person.first_skeletons = tuple(tx.skeleton(f) for f in firsts)
        for key, skel in zip(last_keys, person.last_skeletons, strict=True):
            if key not in index.by_skeleton[skel]:
                index.by_skeleton[skel].append(key)
    index.n_persons += 1
    if last_keys and postal:
        ml.add_household(index.links, pid, last_keys[0], postal)
    if firsts:
        index.first_count[firsts[0]] += 1
        index.initial_count[initial] += 1
    if middle_words:
        index.n_with_middle += 1
        index.middle_initial_count[middle_words[0][0]] += 1
    if firsts and last_keys:
        pids, lasts = index.by_first.setdefault(firsts[0], ([], []))
        pids.append(pid)
        lasts.append(last_keys[0])
    last_count, by_last, by_last_first = index.last_count, index.by_last, index.by_last_first
    for key in last_keys:
        last_count[key] += 1
        by_last[key].append(pid)
        index.by_last_initial[(key, initial)].append(pid)
        index.by_soundex_initial[(tx.soundex(key), initial)].append(pid)
        for name in firsts:
            by_last_first[(key, name)].append(pid)


def add_expected(index: MatchIndex, expected: Mapping[str, Iterable[int]]) -> None:
    """Amounts (cents) a payment plan expects on an open invoice (invoice id -> its next
    instalment, and it with the instalments before it still unpaid): a payment of one of them
    is as telling as one of the balance. Amounts not below the balance are the balance's own."""
    rows: dict[str, list[int]] = defaultdict(list)
    for row, inv in enumerate(index.invoices):
        if inv.invoice_id in expected:
            rows[inv.invoice_id].append(row)
    for invoice_id, amounts in expected.items():
        for row in rows.get(invoice_id, ()):
            wanted = frozenset(c for c in amounts if 0 < c < index.cents[row])
            if not wanted:
                continue
            index.expected[row] = wanted
            inv = index.invoices[row]
            for pid in {inv.member_id, inv.payer_id} - {""}:
                index.party_amounts.update((pid, c) for c in wanted)
