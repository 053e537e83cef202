"""Draw incoming payments against a book: who pays, through which channel, writing what.

See ``book`` for the book and the record of one payment. The ground truth of each payment
is the allocation a careful clerk makes with full knowledge of what the payer meant
(``book.clerk_allocation``): invoices the payer named come first; what is left goes to an open
invoice whose balance it equals exactly (the oldest of several), else to all open invoices if
it equals their total, else to the open invoices oldest first; anything beyond is credit on
account. A payment that belongs to no one has no member and no allocation.

A batch is drawn against the open invoices as they stand when each payment arrives: once a
payment paid an account's invoices (a member's, or those billed to an organisation), no later
payment of the batch is for that account, so every ground truth can be applied as it says even
after the payments before it were (the product refuses to over-apply an invoice).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sandbox.imis import names as nm

from .book import PRICES, Book, BookInvoice, BookParty, IncomingPayment, clerk_allocation
from .writing import PayerWriting, bai2_text, bank_ascii

# (scenario, share). Shares follow what associations report: most dues are paid by the member,
# exactly, through the portal or by check; the rest is where cash application spends its time.
SCENARIOS = (
    ("self", 0.61),
    ("self_multi", 0.03),
    ("spouse", 0.05),
    ("employer_one", 0.04),
    ("employer_multi", 0.05),
    ("partial", 0.05),
    ("over", 0.03),
    ("fee_short", 0.01),
    ("third_party", 0.02),
    ("not_ours", 0.03),
    ("member_other", 0.02),
)
# Share of relatives' payments made by a relative who usually pays that member's dues (the
# rest: a relative paying once).
HABITUAL_RELATIVE = 0.6
# A card payment's billing postal code: asked by the checkout this often; the payer's home is
# the member's (the member paying, a relative who lives with them, one who may not).
BILLING_POSTAL_SHARE = 0.85
LIVES_WITH = {"self": 0.93, "habitual": 0.9, "spouse": 0.6, "third_party": 0.0}
# (channel, method, share) for a person paying.
PERSON_CHANNELS = (
    ("stripe", "card", 0.31),
    ("authorizenet", "card", 0.13),
    ("bai2", "check", 0.20),
    ("csv", "check", 0.12),
    ("bai2", "ach", 0.11),
    ("csv", "ach", 0.05),
    ("bai2", "wire", 0.02),
    ("csv", "other", 0.06),
)
ORG_CHANNELS = (
    ("bai2", "ach", 0.50),
    ("bai2", "check", 0.25),
    ("csv", "check", 0.15),
    ("bai2", "wire", 0.10),
)
NOT_OURS_MEMOS = (
    "Conference registration",
    "Donation",
    "Sponsorship - Gold",
    "Order {r}",
    "Reg #{r}",
    "",
    "Annual gala table",
    "Refund reissue",
    "Invoice {r6}",
    "Payment",
    "Catering deposit",
)
OTHER_COMPANIES = (
    "Acme Catering LLC",
    "Bluebird Travel Inc",
    "City of Springfield",
    "Globex Corporation",
    "Initech Payroll Services",
    "Vandelay Industries",
    "Sterling Cooper",
    "Dunder Mifflin Paper Co",
    "Stark Medical Group",
    "Wayne Foundation",
)


class _Draw(PayerWriting):
    """The random choices behind one batch of payments (one seeded stream, in order)."""

    def __init__(self, book: Book, seed: int, as_of: date, *, pools: bool = True):
        self.book = book
        self.rng = random.Random(seed)
        self.postal_rng = random.Random(seed * 3571 + 7)
        self.as_of = as_of
        # Accounts (members and whoever is billed for them) an earlier payment of the batch
        # paid: a payment is drawn against the open invoices as they stand, so no later payment
        # of the batch is for an account whose invoices one already paid.
        self.settled: set[str] = set()
        # Draws again for an account already paid come from a stream of their own, so that the
        # rest of the batch stays as it was.
        self.redraw_rng = random.Random(seed * 104_729 + 13)
        # Profile b: payer names further from the record, from streams of their own.
        self.hard = None
        if book.profile == "b":
            from .profile_b import HardNames

            self.hard = HardNames(seed if pools else seed + 1)
        if not pools:
            return  # names and memos only
        self.postal_codes = sorted({p.postal for p in book.parties.values() if p.postal})
        self.emails = {p.email for p in book.parties.values() if p.email}
        self.invoices = {i.invoice_id: i for i in book.invoices}
        self.self_billed = [
            i
            for i in book.invoices
            if i.member_id == i.payer_id and not book.parties[i.member_id].is_org
        ]
        self.multi_members = sorted(
            m for m, invs in book.by_member.items() if len(invs) > 1 and not book.parties[m].is_org
        )
        # Organisations billed for at least two employees, and any employee's invoice.
        self.orgs = sorted(
            org
            for org, invs in book.by_payer.items()
            if book.parties[org].is_org and sum(i.member_id != org for i in invs) >= 2
        )
        self.employee_invoices = [
            i for i in book.invoices if book.parties[i.member_id].org_id and i.member_id != ""
        ]
        # Profile b: organisations whose employees are billed one by one (no statement).
        self.orgs_of_employees = (
            sorted(
                org
                for org, staff in book.employees.items()
                if sum(i.payer_id == i.member_id for e in staff for i in book.by_member.get(e, ()))
                >= 2
            )
            if self.hard
            else []
        )
        # Members whose relative usually pays; those payments draw from a stream of their own.
        self.habitual = [i for i in self.self_billed if i.member_id in book.relatives]
        self.household = _Draw(book, seed * 7013 + 3, as_of, pools=False)
        self.household.emails = self.emails
        self.household.postal_codes = self.postal_codes
        self.household.settled = self.settled

    def is_open(self, invoice: BookInvoice) -> bool:
        """No earlier payment of the batch paid this invoice's account."""
        return invoice.member_id not in self.settled and invoice.payer_id not in self.settled

    def open_choice(self, pool: list, is_open=None):
        """A random element of ``pool`` no earlier payment paid (an invoice, or what
        ``is_open`` accepts); None when every one was paid."""
        is_open = is_open or self.is_open
        choice = self.rng.choice(pool)
        if is_open(choice):
            return choice
        start = self.redraw_rng.randrange(len(pool))
        return next(
            (c for c in (pool[(start + k) % len(pool)] for k in range(len(pool))) if is_open(c)),
            None,
        )

    def member_open(self, member: str) -> bool:
        return all(map(self.is_open, self.book.by_member[member]))

    def statement_open(self, org: str) -> bool:
        return all(map(self.is_open, self.book.by_payer[org]))

    def weighted(self, options):
        return self.rng.choices(options, [o[-1] for o in options])[0]

    # -- what each channel carries -------------------------------------------------------
    def carry(self, channel, method, payer, invs, member, *, org=False) -> tuple[dict, list]:
        """Fields as the channel delivers them, and the invoices they name (maybe mistyped)."""
        rng = self.rng
        person = self.book.parties.get(member) if member else None
        out = {"payer_name": payer, "email": "", "memo": "", "reference": "", "check_number": ""}
        named: list[BookInvoice] = []
        if channel == "authorizenet":
            # The notification carries the amount and the invoice number the member portal
            # set, nothing else.
            out["payer_name"] = ""
            if invs:
                out["reference"], named = invs[0].number, invs[:1]
            return out, named
        if channel == "stripe":
            if invs and rng.random() < 0.7:
                out["reference"], named = invs[0].number, invs[:1]  # set by the member portal
            out["memo"] = rng.choice(
                ("Membership dues", "Dues payment", "Online payment", "Renewal", "")
            )
            if invs and rng.random() < 0.15:
                out["memo"], named = f"Invoice {invs[0].number}", invs[:1]
            own = (person.email if person else "") or ""
            roll = rng.random()
            if own and roll < 0.72:
                out["email"] = own
            elif roll < 0.95 and payer:
                out["email"] = self.other_email(payer)
            return out, named
        if method == "check":
            out["check_number"] = str(rng.randrange(101, 9999))
            parts = []
            if invs and rng.random() < 0.4:
                # The coupon returned with the check, keyed by the lockbox (rarely misread).
                parts.append(f"INV {self.maybe_typo(invs[0].number, 0.01)}")
                named = invs[:1]
            roll = rng.random()
            if invs and roll < 0.2:
                parts.append(self.invoice_memo(invs, typo_rate=0.05))
                named = list(invs)
            elif person and roll < 0.35 and not org:
                parts.append(self.member_memo(person, typo_rate=0.05))
            else:
                parts.append(self.vague())
            out["memo"] = " ".join(p for p in parts if p)
            return out, named
        if method == "ach" and org:
            if invs and rng.random() < 0.7:
                out["memo"] = "".join(f"RMR*IV*{i.number}**{i.balance / 100:.2f}\\" for i in invs)
                named = list(invs)
            else:
                out["memo"] = rng.choice(("DUES", "MEMBERSHIP DUES", "EMPLOYEE DUES", "PAYMENT"))
            return out, named
        if method == "ach":
            if person and rng.random() < 0.55:
                out["reference"] = self.maybe_typo(person.party_id, 0.03)  # bill-pay account no.
            out["memo"] = rng.choice(("DUES", "BILL PAY", "ONLINE PMT", "PAYMENT", ""))
            if invs and rng.random() < 0.15:
                out["memo"], named = self.invoice_memo(invs, typo_rate=0.03), list(invs)
            return out, named
        # wire, other
        if invs and rng.random() < 0.5:
            out["memo"], named = self.invoice_memo(invs, typo_rate=0.03), list(invs)
        else:
            out["memo"] = self.vague()
        return out, named

    def relative_pays(self, person: BookParty, relative: BookParty, method: str):
        """Payer name and memo note of a relative paying ``person``'s dues."""
        rng = self.rng
        payer = self.person_name(relative, method)
        memo_note = ""
        named_member = relative.last != person.last and rng.random() < 0.85
        if named_member or rng.random() < 0.3:
            # "for Stephanie", or in full when the surnames differ.
            note = f"{person.first} {person.last}" if named_member else person.first
            memo_note = rng.choice(("for {n}", "Dues - {n}", "{n} membership")).format(n=note)
        return payer, memo_note

    def billing_postal(self, home: str, lives: float) -> str:
        """The postal code of a card's billing address (from a stream of its own): the checkout
        asks for it most of the time; it is the home's when the payer lives there."""
        rng = self.postal_rng
        if rng.random() >= BILLING_POSTAL_SHARE or not self.postal_codes:
            return ""
        if home and rng.random() < lives:
            return home
        return rng.choice(self.postal_codes)

    # -- scenarios -----------------------------------------------------------------------
    def payment(self, number: int) -> IncomingPayment:
        drawn = self.drawn(number)
        household = self.household
        # Most relatives who pay are the one who usually pays that member's dues. Drawn from a
        # stream of its own, so that every other payment stays as it was.
        if (
            drawn.scenario == "spouse"
            and self.habitual
            and household.rng.random() < HABITUAL_RELATIVE
        ):
            drawn = household.habitual(number, drawn, self.habitual)
        for invoice_id, _ in drawn.truth_allocations:
            invoice = self.invoices[invoice_id]
            self.settled.update((invoice.member_id, invoice.payer_id, drawn.truth_member))
        return drawn

    def habitual(self, number: int, drawn: IncomingPayment, invoices) -> IncomingPayment:
        """The relative who usually pays a member's dues pays them again."""
        inv = self.open_choice(invoices)
        if inv is None:
            return drawn  # every member with such a relative has paid
        member, channel, method = inv.member_id, drawn.channel, drawn.method
        person = self.book.parties[member]
        payer, memo_note = self.relative_pays(person, self.book.relatives[member], method)
        fields, named = self.carry(channel, method, payer, [inv], member)
        if memo_note and channel != "authorizenet":
            fields["memo"] = f"{fields['memo']} {memo_note}".strip()
        alloc, credit = clerk_allocation(self.account_invoices(member), inv.balance, named)
        return self.build(
            number,
            channel,
            method,
            drawn.received_on,
            inv.balance,
            fields,
            "spouse",
            member,
            alloc,
            credit,
            home=(person.postal, LIVES_WITH["habitual"]),
        )

    def drawn(self, number: int) -> IncomingPayment:
        rng = self.rng
        scenario = self.weighted(SCENARIOS)[0]
        if scenario == "self_multi" and not self.multi_members:
            scenario = "self"
        if scenario.startswith("employer") and not (self.orgs and self.employee_invoices):
            scenario = "self"
        received = self.as_of + timedelta(days=rng.randrange(0, 30))
        if scenario == "not_ours":
            return self.not_ours(number, received)
        if scenario == "member_other":
            return self.member_other(number, received)
        pick = None  # the account or invoice of a scenario with a pool of its own
        if scenario == "self_multi":
            pick = self.open_choice(self.multi_members, self.member_open)
        elif scenario == "employer_one":
            pick = self.open_choice(self.employee_invoices)
        elif scenario == "employer_multi":
            pick = self.open_choice(self.orgs, self.statement_open)
        if pick is None and scenario in ("self_multi", "employer_one", "employer_multi"):
            scenario = "self"  # everyone it could be has paid
        if scenario == "employer_multi" and self.orgs_of_employees and self.hard.rng.random() < 0.5:
            found = self.employer_employees(number, received)
            if found is not None:
                return found
        if scenario.startswith("employer"):
            return self.employer(number, received, scenario, pick)
        if scenario == "self_multi":
            member = pick
            invs = self.account_invoices(member)
            amount = sum(i.balance for i in invs)
        else:
            inv = self.open_choice(self.self_billed) or self.rng.choice(self.self_billed)
            member, invs = inv.member_id, [inv]
            amount = inv.balance
            if scenario == "partial":
                amount = rng.choice(
                    (inv.balance // 2 // 500 * 500, inv.balance - 1000, 10000, inv.balance - 5000)
                )
                amount = amount if 0 < amount < inv.balance else inv.balance // 2
            elif scenario == "over":
                amount = inv.balance + rng.choice((2500, 5000, 10000, 1000))
            elif scenario == "fee_short":
                amount = max(inv.balance - rng.choice((1500, 2000, 2500, 3500)), inv.balance // 2)
        person = self.book.parties[member]
        memo_note = ""
        channel, method, _ = self.weighted(PERSON_CHANNELS)
        if scenario == "fee_short":
            channel, method = rng.choice(("bai2", "csv")), "wire"
        if scenario == "third_party":
            channel, method = rng.choice((("bai2", "check"), ("csv", "check"), ("bai2", "ach")))
        if scenario == "spouse":
            spouse = BookParty(
                "",
                False,
                first=self.other_first(person.first),
                last=person.last if rng.random() < 0.85 else rng.choice(nm.LAST_NAMES),
            )
            payer, memo_note = self.relative_pays(person, spouse, method)
        elif scenario == "third_party":
            payer = (
                rng.choice(OTHER_COMPANIES)
                if rng.random() < 0.5
                else f"{rng.choice(nm.FIRST_NAMES)} {rng.choice(nm.LAST_NAMES)}"
            )
        else:
            payer = self.person_name(person, method)
        fields, named = self.carry(channel, method, payer, invs, member)
        if memo_note and channel != "authorizenet":
            fields["memo"] = f"{fields['memo']} {memo_note}".strip()
        if scenario == "third_party" and not named and rng.random() < 0.95:
            # Someone paying for another says whom for, or the payment could not be placed.
            if rng.random() < 0.6:
                fields["memo"], named = self.invoice_memo(invs, typo_rate=0.03), list(invs)
            else:
                fields["memo"] = self.member_memo(person, typo_rate=0.03)
        alloc, credit = clerk_allocation(self.account_invoices(member), amount, named)
        lives = LIVES_WITH.get(scenario, LIVES_WITH["self"])
        return self.build(
            number,
            channel,
            method,
            received,
            amount,
            fields,
            scenario,
            member,
            alloc,
            credit,
            home=(person.postal, lives),
        )

    def employer(self, number: int, received: date, scenario: str, pick) -> IncomingPayment:
        """An employer paying for one employee (``pick``, the invoice), or for several at once
        (``pick``, the organisation)."""
        rng = self.rng
        book = self.book
        if scenario == "employer_one":
            inv = pick
            org_id = book.parties[inv.member_id].org_id
            invs = [inv]
        else:
            org_id = pick
            statement = sorted(book.by_payer[org_id], key=lambda i: (i.invoice_date, i.invoice_id))
            employees = [i for i in statement if i.member_id != org_id]
            if rng.random() < 0.6:
                invs = statement  # everything billed to the organisation
            else:
                invs = sorted(
                    rng.sample(employees, rng.randint(2, len(employees))),
                    key=lambda i: i.invoice_id,
                )
        org = book.parties[org_id]
        channel, method, _ = self.weighted(ORG_CHANNELS)
        payer = self.org_name(org, method)
        fields, named = self.carry(channel, method, payer, invs, org_id, org=True)
        all_billed = len(invs) > 1 and {i.invoice_id for i in invs} == {
            i.invoice_id for i in book.by_payer[org_id]
        }
        if set(named) != set(invs) and not all_billed:
            # Accounts payable names the employees a payment is for.
            names = [book.parties[i.member_id] for i in invs]
            # A name says which member, not which of their invoices: names only when each
            # member named has this one invoice open.
            single = all(len(book.by_member[i.member_id]) == 1 for i in invs)
            if rng.random() < 0.5 or len(invs) > 3 or not single:
                fields["memo"], named = self.invoice_memo(invs, typo_rate=0.02), list(invs)
            else:
                fields["memo"] = "Dues " + ", ".join(
                    f"{p.first} {p.last}" if rng.random() < 0.6 else bank_ascii(p.last).upper()
                    for p in names
                )
                named = list(invs)
        amount = sum(i.balance for i in invs)
        member = invs[0].member_id if len(invs) == 1 else org_id
        alloc = [(i.invoice_id, i.balance) for i in invs]
        return self.build(
            number, channel, method, received, amount, fields, scenario, member, alloc, 0
        )

    def employer_employees(self, number: int, received: date) -> IncomingPayment | None:
        """Profile b: an organisation paying for several of its employees who were billed one
        by one, with a vague memo or their names only."""
        rng, book = self.hard.rng, self.book
        org_id = rng.choice(self.orgs_of_employees)
        # Each employee's oldest open invoice (a clerk applies a member's payment so).
        own = []
        for e in book.employees[org_id]:
            billed = [i for i in book.by_member.get(e, ()) if i.payer_id == i.member_id]
            if billed and all(map(self.is_open, billed)):
                own.append(min(billed, key=lambda i: (i.invoice_date, i.invoice_id)))
        if len(own) < 2:
            return None
        invs = sorted(rng.sample(own, rng.randint(2, min(5, len(own)))), key=lambda i: i.invoice_id)
        org = book.parties[org_id]
        channel, method, _ = self.weighted(ORG_CHANNELS)
        fields = {
            "payer_name": self.org_name(org, method),
            "email": "",
            "memo": rng.choice(("EMPLOYEE DUES", "MEMBERSHIP DUES", "DUES", "")),
            "reference": "",
            "check_number": str(rng.randrange(101, 9999)) if method == "check" else "",
        }
        if rng.random() < 0.65:  # accounts payable names whom it pays for, mostly
            people = [book.parties[i.member_id] for i in invs]
            fields["memo"] = "Dues " + ", ".join(
                self.hard.latin(f"{p.first[:1]} {p.last}").upper() for p in people
            )
        amount = sum(i.balance for i in invs)
        alloc = [(i.invoice_id, i.balance) for i in invs]
        return self.build(
            number,
            channel,
            method,
            received,
            amount,
            fields,
            "employer_employees",
            org_id,
            alloc,
            0,
        )

    def not_ours(self, number: int, received: date) -> IncomingPayment:
        rng = self.rng
        channel, method, _ = self.weighted(PERSON_CHANNELS)
        roll = rng.random()
        if roll < 0.5:
            # Someone outside the book, named as people in the book are named.
            first = rng.choice(self.self_billed).member_id
            last = rng.choice(self.self_billed).member_id
            stranger = BookParty(
                "", False, first=self.book.parties[first].first, last=self.book.parties[last].last
            )
            payer = self.person_name(stranger, method)
        elif roll < 0.8:
            payer = rng.choice(OTHER_COMPANIES)
        else:
            payer = ""
        if rng.random() < 0.35:
            amount = rng.choice(list(PRICES.values()))
        else:
            amount = rng.choice((4500, 25000, 7550, 100000, 5000, 12000, 2000, 35000))
        memo = rng.choice(NOT_OURS_MEMOS).format(
            r=rng.randrange(1000, 99999), r6=rng.randrange(100000, 999999)
        )
        fields = {
            "payer_name": payer if channel != "authorizenet" else "",
            "memo": memo,
            "email": "",
            "reference": "",
            "check_number": "",
        }
        if channel == "stripe" and payer and rng.random() < 0.8:
            fields["email"] = self.other_email(payer)
        if method == "check":
            fields["check_number"] = str(rng.randrange(101, 9999))
        return self.build(number, channel, method, received, amount, fields, "not_ours", "", [], 0)

    def member_other(self, number: int, received: date) -> IncomingPayment:
        """A member paying for something that is no open invoice (an event, a donation)."""
        rng = self.rng
        member = rng.choice(self.self_billed).member_id
        person = self.book.parties[member]
        channel, method, _ = self.weighted(PERSON_CHANNELS)
        payer = self.person_name(person, method) if channel != "authorizenet" else ""
        memo = rng.choice((*NOT_OURS_MEMOS[:3], "Annual conference", "Workshop fee", "", "Gift"))
        owed = {i.balance for i in self.account_invoices(member)}
        prices = [4500, 7500, 15000, 25000, 5000, 10000, 2500, 31500, 14500]
        if not memo:
            # Without a word of what it is for, a payment of exactly what the member owes
            # would be dues: a clerk would apply it too.
            prices = [p for p in prices if p not in owed]
        amount = rng.choice(prices)
        fields = {
            "payer_name": payer,
            "memo": memo.format(r=rng.randrange(1000, 99999)),
            "email": "",
            "reference": "",
            "check_number": "",
        }
        if channel == "stripe" and payer:
            fields["email"] = person.email if rng.random() < 0.75 else self.other_email(payer)
        if method == "check":
            fields["check_number"] = str(rng.randrange(101, 9999))
        return self.build(
            number,
            channel,
            method,
            received,
            amount,
            fields,
            "member_other",
            "",
            [],
            0,
            home=(person.postal, LIVES_WITH["self"]),
        )

    def build(
        self,
        number,
        channel,
        method,
        received,
        amount,
        fields,
        scenario,
        member,
        alloc,
        credit,
        *,
        home: tuple[str, float] = ("", 0.0),
    ) -> IncomingPayment:
        """``home``: the postal code of the person the payment is from or for, and how likely
        the payer's billing address is there."""
        if channel == "authorizenet":
            # The notification carries no description: whatever the payer meant to say is lost.
            fields = {**fields, "memo": ""}
        if channel == "authorizenet":
            # The notification carries no description: whatever the payer meant to say is lost.
            fields = {**fields, "memo": ""}
        if channel == "bai2":
            # A bank's systems keep ASCII only.
            fields = {k: bai2_text(v) if v else v for k, v in fields.items()}
        if channel == "stripe":
            fields = {**fields, "payer_postal": self.billing_postal(*home)}
        return IncomingPayment(
            payment_id=f"PAY{number:06d}",
            channel=channel,
            method=method,
            received_on=received,
            amount=amount,
            scenario=scenario,
            truth_member=member,
            truth_allocations=tuple(alloc),
            truth_credit=credit,
            **fields,
        )


def generate_payments(
    book: Book, count: int, *, seed: int = 1, as_of: date = date(2025, 6, 30)
) -> list[IncomingPayment]:
    """``count`` payments against ``book`` with their ground truth (deterministic)."""
    if not book.invoices:
        raise ValueError("the book has no open invoices to pay")
    draw = _Draw(book, seed, as_of)
    return [draw.payment(n + 1) for n in range(count)]
