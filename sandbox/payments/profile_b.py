"""Profile b of the payments sandbox: payer names written further from the record.

What associations see once their members are not all named as the sandbox's default book names
them, and what the default profile leaves out:

- records in another script (Cyrillic, Greek), paid under a transliteration of the payer's or
  the bank's choosing (Дмитрий: DMITRY, DMITRII, DMITRIJ), in either order;
- married members on file under the married name with the former one kept, paying from an
  account in the former name;
- full middle names, and payers who write the initials of given and middle names ("J R SMITH",
  "JR SMITH");
- organisations paying for several employees who were billed one by one (no statement to the
  organisation), with a vague memo;
- members owing two invoices of the same amount (last year's and this year's dues at one price).

``harden_book`` rewrites a default book from random streams of its own; ``HardNames`` writes the
payer names of a batch. Nothing here imports product code.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from sandbox.imis import names as nm

from .book import Book, BookInvoice, BookParty
from .writing import bank_ascii

NATIVE_SHARE = 0.10  # persons whose record is in another script
MARRIED_SHARE = 0.10  # persons on file under a married name, the former one kept
MIDDLE_NAME_SHARE = 0.25  # persons with a full middle name on file
TWIN_INVOICE_SHARE = 0.03  # members owing two invoices of one amount
FORMER_NAME_PAYS = 0.5  # of a married member's own payments, those in the former name

CYRILLIC_FIRST = [
    "Дмитрий",
    "Сергей",
    "Алексей",
    "Андрей",
    "Евгений",
    "Михаил",
    "Николай",
    "Юрий",
    "Наталья",
    "Юлия",
    "Ксения",
    "Татьяна",
    "Ольга",
    "Екатерина",
    "Анастасия",
]
CYRILLIC_LAST = [
    "Иванов",
    "Кузнецов",
    "Смирнов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Федоров",
    "Жуков",
    "Щербаков",
    "Яковлев",
    "Зайцев",
    "Белоусов",
    "Тихонов",
    "Крылов",
]
GREEK_FIRST = [
    "Αλέξανδρος",
    "Γιώργος",
    "Δημήτρης",
    "Νικόλαος",
    "Ελένη",
    "Μαρία",
    "Σοφία",
    "Χρήστος",
    "Θεόδωρος",
]
GREEK_LAST = [
    "Παπαδόπουλος",
    "Γεωργίου",
    "Οικονόμου",
    "Βασιλείου",
    "Νικολάου",
    "Μακρής",
    "Θεοδωρίδης",
    "Χατζηδάκης",
]
MIDDLE_NAMES = [
    "Ann",
    "Marie",
    "Lee",
    "James",
    "Ray",
    "Lynn",
    "Grace",
    "Paul",
    "Rose",
    "John",
    "Jean",
    "Michael",
    "Elizabeth",
]


def _table(letters, spellings: str) -> dict[str, tuple[str, ...]]:
    """Letters of one script (a string of them, or a tuple of pairs) against their spellings
    ("y/i/j": any of them; "-": none)."""
    return {
        letter: tuple("" if w == "-" else w for w in spelled.split("/"))
        for letter, spelled in zip(letters, spellings.split(), strict=True)
    }


# Letters with more than one spelling in use (BGN/PCGN, ISO 9, passports, banks' habits).
_CYRILLIC = _table(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "a b v g d e e/yo zh z i y/i/j k l m n o p r s t u f kh/h ts/c ch sh shch/sch - y - e yu/iu "
    "ya/ia",
)
_GREEK = _table(
    "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώ",
    "a v g d e z i th i k l m n x/ks o p r s s t y/i f/ph ch/h ps o a e i i o y/i o",
)
# Pairs spelled together; the Greek ones (omicron upsilon, epsilon upsilon) escaped.
_ENDINGS = _table(("ий", "ой", "\u03bf\u03c5", "\u03b5\u03c5"), "y/iy/ii/ij oy ou ev/eu")


def transliterate(name: str, rng: random.Random) -> str:
    """One Latin spelling of a Cyrillic or Greek name, as a payer or bank writes it."""
    out, i, low = [], 0, name.lower()
    while i < len(low):
        pair = low[i : i + 2]
        if pair in _ENDINGS and (pair != "ий" or i + 2 == len(low)):
            out.append(rng.choice(_ENDINGS[pair]))
            i += 2
            continue
        c = low[i]
        table = _CYRILLIC if c in _CYRILLIC else _GREEK
        out.append(rng.choice(table[c]) if c in table else c)
        i += 1
    return "".join(out).capitalize()


# Latin letters a script has no letter for, spelled as the script's readers would say them.
_RESPELL = {
    True: {"c": "k", "q": "k", "w": "v", "x": "ks", "j": "y", "h": "kh"},
    False: {"c": "k", "q": "k", "w": "ou", "j": "i", "h": "ch", "u": "ou", "b": "v"},
}


def _spelled(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Spelling -> letter, the inverse of a transliteration table (each letter's first
    spelling; the first letter of a spelling kept)."""
    out: dict[str, str] = {}
    for letter, spellings in table.items():
        if spellings[0]:
            out.setdefault(spellings[0], letter)
    return out


def _pieces(text: str, table: dict[str, str]) -> list[str]:
    """``text`` cut into spellings the table knows, longest first (unknown letters dropped)."""
    out, i = [], 0
    while i < len(text):
        size = next((n for n in (3, 2, 1) if text[i : i + n] in table), 0)
        if size:
            out.append(text[i : i + size])
        i += size or 1
    return out


def in_script(name: str, *, cyrillic: bool) -> str:
    """A Latin name written in Cyrillic or Greek, as it would be on a record kept in it."""
    table = _spelled(_CYRILLIC if cyrillic else _GREEK)
    respell = _RESPELL[cyrillic]
    latin = nm.ascii_fold(name).lower()
    out, i = [], 0
    while i < len(latin):
        for size in (4, 3, 2):
            piece = latin[i : i + size]
            if len(piece) == size and piece in table:
                out.append(table[piece])
                i += size
                break
        else:
            letter = respell.get(latin[i], latin[i])
            out.extend(table[c] for c in _pieces(letter, table))
            i += 1
    text = "".join(out)
    if not cyrillic and text.endswith("\u03c3"):
        text = text[:-1] + "\u03c2"  # a final sigma
    return text.capitalize()


def _native(text: str) -> bool:
    return any("\u0370" <= c <= "\u03ff" or "\u0400" <= c <= "\u04ff" for c in text)


def harden_book(book: Book, *, seed: int) -> Book:
    """The book with profile b's records: other scripts, married names with the former kept,
    middle names, and second invoices of one amount (a stream of its own)."""
    rng = random.Random(seed * 9173 + 5)
    parties = dict(book.parties)
    for pid, p in book.parties.items():
        if p.is_org or not p.first or not p.last:
            continue
        roll = rng.random()
        if roll < NATIVE_SHARE:
            # Names of the book written in the other script keep the book's variety of names;
            # a few people have a name of that language itself.
            cyrillic = rng.random() < 0.7
            if rng.random() < 0.2:
                first = rng.choice(CYRILLIC_FIRST if cyrillic else GREEK_FIRST)
            else:
                first = in_script(p.first, cyrillic=cyrillic)
            last = in_script(p.last, cyrillic=cyrillic)
            parties[pid] = replace(p, first=first, last=last, informal=first, middle="")
            continue
        if roll < NATIVE_SHARE + MARRIED_SHARE:
            married = rng.choice([n for n in nm.LAST_NAMES[:60] if n != p.last])
            p = replace(p, last=married, former=(p.last,))
        if rng.random() < MIDDLE_NAME_SHARE:
            p = replace(p, middle=rng.choice(MIDDLE_NAMES))
        parties[pid] = p
    invoices = list(book.invoices)
    next_id = max(int(i.invoice_id) for i in invoices) + 1
    for inv in book.invoices:
        single = len(book.by_member.get(inv.member_id, ())) == 1
        if single and inv.member_id == inv.payer_id and rng.random() < TWIN_INVOICE_SHARE:
            earlier = inv.invoice_date - timedelta(days=365)
            invoices.append(
                BookInvoice(
                    str(next_id),
                    str(next_id),
                    inv.member_id,
                    inv.payer_id,
                    inv.balance,
                    earlier,
                    inv.description,
                )
            )
            next_id += 1
    return Book(parties, invoices, dict(book.relatives), profile="b")


class HardNames:
    """Payer names of profile b, from a stream of their own; ``None``: write it as usual."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed * 4099 + 17)

    def latin(self, text: str) -> str:
        """A name as accounts payable types it: transliterated, accents dropped."""
        if _native(text):
            text = " ".join(transliterate(w, self.rng) for w in text.split())
        return bank_ascii(text)

    def name(self, p: BookParty, method: str) -> str | None:
        rng = self.rng
        upper = method in ("ach", "check", "wire") and rng.random() < 0.7
        if _native(p.first + p.last):
            first, last = transliterate(p.first, rng), transliterate(p.last, rng)
            out = f"{last} {first}" if rng.random() < 0.4 else f"{first} {last}"
            return out.upper() if upper else out
        last = p.last
        if p.former and rng.random() < FORMER_NAME_PAYS:
            last = p.former[0]  # an account, or a card, still in the former name
        roll = rng.random()
        middle = p.middle.rstrip(".")
        if roll < 0.12 and middle:
            out = f"{p.first[0]} {middle[0]} {last}"
        elif roll < 0.2 and middle:
            out = f"{p.first[0]}{middle[0]} {last}"
        elif roll < 0.3:
            out = f"{last} {p.first}"  # surname first, no comma
        elif roll < 0.36:
            out = f"{last} {p.first[0]}"
        elif last != p.last or (roll < 0.45 and middle):
            out = f"{p.first} {middle} {last}" if middle and roll < 0.45 else f"{p.first} {last}"
        else:
            return None
        out = " ".join(out.split())
        return out.upper() if upper else out
