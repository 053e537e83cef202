"""Households and last cycle's payments for a synthetic book: who pays whose dues, year on year.

A relative who pays a member's dues this year mostly paid them last year too, and may be known
to the association (a record of their own at the member's address: an event sign-up, a former
member). What the association can know of that is drawn here, at rates chosen to be modest:

- every person has a postal code; a look-alike second record shares its person's;
- ``HABITUAL_SHARE`` of the persons billed have a relative who usually pays their dues, with the
  member's surname mostly; ``ON_FILE`` of those relatives have a record of their own at the
  member's postal code (no invoices);
- last cycle, ``RENEWED`` of the members paid, through the channels members use; a member with
  such a relative was paid for by them with probability ``RELATIVE_PAID``.

Random streams of their own (seeded from the book's seed), so that adding them changes nothing
else about the book or the payments drawn against it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from sandbox.imis import names as nm

from .book import EXTRA_FIRST_NAMES, Book, BookParty, PastDuesPayment

HABITUAL_SHARE = 0.04
ON_FILE = 0.4
SAME_SURNAME = 0.85
RENEWED = 0.75
RELATIVE_PAID = 0.85
PERSONS_PER_POSTAL_CODE = 2  # on average; codes are drawn with metropolitan skew


def add_households(
    parties: dict[str, BookParty], twins: dict[str, str], *, seed: int, next_id: int
) -> dict[str, BookParty]:
    """Give every party a postal code and some members a relative who pays; returns
    member -> relative, and adds the relatives on file to ``parties``."""
    rng = random.Random(seed * 6007 + 11)
    persons = [pid for pid, p in parties.items() if not p.is_org]
    pool = sorted(
        {
            f"{rng.randrange(1000, 99999):05d}"
            for _ in range(max(len(persons) // PERSONS_PER_POSTAL_CODE, 10))
        }
    )
    rng.shuffle(pool)
    weights = [1 / (i + 1) ** 0.3 for i in range(len(pool))]
    codes = iter(rng.choices(pool, weights, k=len(parties)))
    for pid, party in list(parties.items()):
        twin = twins.get(pid)
        postal = parties[twin].postal if twin else next(codes)
        parties[pid] = replace(party, postal=postal)
    firsts = nm.FIRST_NAMES + EXTRA_FIRST_NAMES
    relatives: dict[str, BookParty] = {}
    for pid in persons:
        if pid in twins or rng.random() >= HABITUAL_SHARE:
            continue
        member = parties[pid]
        first = rng.choice([f for f in firsts if f[:1] != member.first[:1]])
        last = member.last if rng.random() < SAME_SURNAME else rng.choice(nm.LAST_NAMES)
        local = ".".join(nm.ascii_fold(f"{first} {last}").lower().split())
        email = f"{local}{rng.randrange(1, 999)}@{rng.choice(nm.EMAIL_DOMAINS)}"
        relative_id = ""
        if rng.random() < ON_FILE:
            relative_id = str(next_id)
            next_id += 1
        relative = BookParty(
            relative_id, False, first=first, last=last, email=email, postal=member.postal
        )
        if relative_id:
            parties[relative_id] = relative
        relatives[pid] = relative
    return relatives


def payment_history(book: Book, *, seed: int, as_of: date) -> list[PastDuesPayment]:
    """Dues payments of the cycle before for the members the book bills, oldest first."""
    from .draw import ORG_CHANNELS, PERSON_CHANNELS, _Draw

    draw = _Draw(book, seed * 7919 + 5, as_of)
    rng = draw.rng
    out: list[PastDuesPayment] = []
    for member, invoices in sorted(book.by_member.items()):
        person = book.parties[member]
        if person.is_org or rng.random() >= RENEWED:
            continue
        invoice = invoices[0]
        relative = book.relatives.get(member)
        payer_id, payer = member, person
        if relative is not None and rng.random() < RELATIVE_PAID:
            payer_id, payer = relative.party_id, relative
        elif invoice.payer_id != member and book.parties[invoice.payer_id].is_org:
            payer_id, payer = invoice.payer_id, book.parties[invoice.payer_id]
        channel, method, _ = draw.weighted(ORG_CHANNELS if payer.is_org else PERSON_CHANNELS)
        if channel == "authorizenet":
            name = ""  # the notification carries no name
        elif payer.is_org:
            name = draw.org_name(payer, method)
        else:
            name = draw.person_name(payer, method)
        email = payer.email if channel == "stripe" else ""
        out.append(
            PastDuesPayment(
                member_id=member,
                payer_id=payer_id,
                payer_name=name,
                email=email,
                method=method,
                paid_on=invoice.invoice_date - timedelta(days=365 - rng.randrange(0, 60)),
                amount=invoice.balance,
            )
        )
    out.sort(key=lambda p: (p.paid_on, p.member_id))
    return out
