"""How a payer writes: names as cards, banks and cheques carry them, memos, and the slips of the
pen (a digit swapped, a letter dropped) that cash application has to read through.

``PayerWriting`` is the part of a batch's draw (``draw._Draw``) that turns who pays and for
what into text; it draws from the batch's random stream (``self.rng``), in order.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from typing import TYPE_CHECKING

from sandbox.imis import names as nm

from .book import EXTRA_FIRST_NAMES, BookInvoice, BookParty

if TYPE_CHECKING:
    from .profile_b import HardNames

VAGUE_MEMOS = (
    "dues",
    "Membership dues",
    "renewal",
    "annual dues {y}",
    "Dues {y}",
    "membership {y}-{y1}",
    "Thank you",
    "MEMBERSHIP",
    "renew",
    "",
    "",
    "",
)
INVOICE_FORMS = (
    "INV {n}",
    "Invoice #{n}",
    "#{n}",
    "inv-{n}",
    "{n}",
    "Inv# {n}",
    "invoice {n} dues",
    "Dues {y} / INV{n}",
    "Membership renewal {n}",
    "INV.{n}",
)
MEMBER_FORMS = (
    "mbr {id}",
    "Member ID {id}",
    "dues {y} mbr {id}",
    "{LAST} {F} {id}",
    "ID#{id}",
    "member #{id}",
    "{id}",
    "Acct {id}",
)
_BANK_ASCII = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "\u0131": "i"}
)


def bai2_text(text: str) -> str:
    """Text as it can sit in a BAI2 text field: ASCII, and no word ending in '/' (a line that
    ends in '/' ends the field)."""
    return " ".join(w.rstrip("/") or "-" for w in bank_ascii(text).split(" "))


def bank_ascii(text: str) -> str:
    """What a bank's systems make of a name: accents dropped, ASCII only."""
    folded = unicodedata.normalize("NFKD", text.translate(_BANK_ASCII))
    return folded.encode("ascii", "ignore").decode("ascii")


class PayerWriting:
    """Text of one batch's payments; needs ``rng``, ``as_of``, ``emails`` and ``hard`` (profile
    b's harder names, or None) from the draw it is part of."""

    rng: random.Random
    as_of: date
    emails: set[str]
    hard: HardNames | None

    def typo(self, digits: str) -> str:
        """One keystroke wrong: swap, substitute, drop or double a digit."""
        rng = self.rng
        i = rng.randrange(len(digits) - 1)
        kind = rng.random()
        if kind < 0.4:
            return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if kind < 0.75:
            new = rng.choice([d for d in "0123456789" if d != digits[i]])
            return digits[:i] + new + digits[i + 1 :]
        if kind < 0.9:
            return digits[:i] + digits[i + 1 :]
        return digits[:i] + digits[i] + digits[i:]

    def name_typo(self, name: str) -> str:
        letters = [i for i, c in enumerate(name) if c.isalpha()]
        if len(letters) < 4:
            return name
        i = self.rng.choice(letters[1:-1])
        if self.rng.random() < 0.5:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        return name[:i] + name[i + 1 :]

    def person_name(self, p: BookParty, method: str) -> str:
        if self.hard is not None:
            written = self.hard.name(p, method)
            if written is not None:
                return written
        rng = self.rng
        first, last = p.first, p.last
        informal = p.informal or first
        middle = p.middle.rstrip(".")
        roll = rng.random()
        if method == "card":
            if roll < 0.58:
                out = f"{first} {last}"
            elif roll < 0.68:
                out = f"{first} {middle} {last}" if middle else f"{first} {last}"
            elif roll < 0.82:
                out = f"{informal} {last}"
            elif roll < 0.87:
                out = f"{first[0]}. {last}"
            elif roll < 0.91:
                out = f"{first.lower()} {last.lower()}"
            elif roll < 0.94:
                out = f"{p.prefix} {first} {last} {p.suffix}".strip()
            else:
                out = f"{first.upper()} {last.upper()}"
        elif method == "ach":
            if roll < 0.4:
                out = f"{last} {first} {middle}".upper()[:22]
            elif roll < 0.8:
                out = f"{first} {last}".upper()[:22]
            else:
                out = f"{first[0]} {last}".upper()
            out = bank_ascii(out)
        elif method == "check":
            if roll < 0.33:
                out = f"{first} {middle} {last}".upper() if middle else f"{first} {last}".upper()
            elif roll < 0.6:
                out = f"{first} {last}"
            elif roll < 0.74:
                spouse = self.other_first(first)
                out = (
                    f"{first} & {spouse} {last}"
                    if rng.random() < 0.5
                    else (f"{spouse} or {first} {last}")
                )
            elif roll < 0.79:
                out = f"{p.prefix or 'Dr.'} {first} {last}"
            elif roll < 0.9:
                out = f"{last}, {first}".upper()
            else:
                out = f"{informal} {last}"
            if rng.random() < 0.5:
                out = bank_ascii(out)
        else:
            out = bank_ascii(f"{first} {last}".upper())
        out = " ".join(out.split())
        if rng.random() < 0.03:
            out = self.name_typo(out)
        return out

    def org_name(self, org: BookParty, method: str) -> str:
        rng = self.rng
        name = org.org_name
        roll = rng.random()
        if method == "ach":
            # The ACH batch header holds 16 characters of company name.
            return bank_ascii(name.upper())[: rng.choice((16, 16, 22, 40))].strip()
        if roll < 0.5:
            return name
        if roll < 0.75:
            return bank_ascii(name.upper())
        parts = name.split()
        return " ".join(parts[:-1]) if len(parts) > 2 else name

    def other_first(self, first: str) -> str:
        pool = [f for f in nm.FIRST_NAMES + EXTRA_FIRST_NAMES if f != first and f[:1] != first[:1]]
        return self.rng.choice(pool)

    def invoice_memo(self, invs: list[BookInvoice], *, typo_rate: float) -> str:
        rng = self.rng
        numbers = [i.number for i in invs]
        numbers = [self.typo(n) if rng.random() < typo_rate else n for n in numbers]
        y = self.as_of.year
        if len(numbers) == 1:
            return rng.choice(INVOICE_FORMS).format(n=numbers[0], y=y)
        form = rng.random()
        if form < 0.35:
            return "Inv#" + "/".join(numbers)
        if form < 0.7:
            return "INV " + ", ".join(numbers)
        return "invoices " + " ".join(numbers)

    def member_memo(self, p: BookParty, *, typo_rate: float) -> str:
        pid = p.party_id
        if self.rng.random() < typo_rate:
            pid = self.typo(pid)
        return self.rng.choice(MEMBER_FORMS).format(
            id=pid, y=self.as_of.year, LAST=bank_ascii(p.last).upper(), F=p.first[:1].upper()
        )

    def vague(self) -> str:
        y = self.as_of.year
        return self.rng.choice(VAGUE_MEMOS).format(y=y, y1=y + 1)

    def other_email(self, name: str) -> str:
        """An address of someone's own, not one any party in the book has (addresses are
        personal: a namesake never shares one)."""
        local = ".".join(bank_ascii(name).lower().replace("&", " ").split()) or "payer"
        while True:
            email = f"{local}{self.rng.randrange(1, 999)}@{self.rng.choice(nm.EMAIL_DOMAINS)}"
            if email not in self.emails:
                return email

    def account_invoices(self, party_id: str) -> list[BookInvoice]:
        """Open invoices a party is for or billed for, oldest first."""
        book = self.book
        rows = {i.invoice_id: i for i in book.by_member.get(party_id, ())}
        rows.update({i.invoice_id: i for i in book.by_payer.get(party_id, ())})
        return sorted(rows.values(), key=lambda i: (i.invoice_date, i.invoice_id))

    def maybe_typo(self, digits: str, rate: float) -> str:
        return self.typo(digits) if self.rng.random() < rate else digits
