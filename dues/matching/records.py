"""The records payment matching works on and returns: plain frozen dataclasses (no ORM).

They are shared by the matcher and its steps (``read`` takes a ``Remittance``), by ``candidates``
(which loads ``OpenInvoice``, ``Party`` and ``PastPayment`` from the iMIS mirror) and by ``run``
(which files each payment's ``Candidate`` list); keeping them apart from ``matcher`` lets every
step import them without importing the matcher that imports the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Remittance:
    """One incoming payment as matching sees it."""

    amount: Decimal
    payer_name: str = ""
    email: str = ""
    memo: str = ""
    reference: str = ""
    received_on: date | None = None
    method: str = ""  # card | ach | check | wire | other
    payer_postal_code: str = ""  # the payer's address as the payment gives it (card billing)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An open invoice: member_id is who it is for (sold to), payer_id who is billed (bill to)."""

    invoice_id: str
    number: str
    member_id: str
    payer_id: str
    balance: Decimal
    invoice_date: date | None


@dataclass(frozen=True, slots=True)
class Party:
    """A person or organisation; org_id/org_name name a person's employer."""

    party_id: str
    name: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    org_id: str = ""
    org_name: str = ""
    is_org: bool = False
    informal_name: str = ""
    postal_code: str = ""  # with the surname, who lives together (a household)
    middle_name: str = ""
    former_names: tuple[str, ...] = ()  # surnames the person was known by (a maiden name)


@dataclass(frozen=True, slots=True)
class PastPayment:
    """A dues payment applied before: for which member, and who paid it as the payment said
    (the product's applied payments), or the party billed or paying (the mirror's history)."""

    member_id: str
    payer_name: str = ""
    email: str = ""
    payer_id: str = ""
    paid_on: date | None = None


@dataclass(frozen=True)
class Candidate:
    """One way to apply the payment.

    ``member_id`` is the member whose invoices are paid (the paying account when the invoices
    belong to several members, e.g. an organisation paying for its employees); ``payer_id`` is
    the party billed for them.
    """

    member_id: str
    payer_id: str
    allocations: tuple[tuple[str, Decimal], ...]  # (invoice_id, amount applied)
    credit: Decimal  # overpayment left on account
    shortfall: Decimal  # still owed on the allocated invoices
    confidence: float  # calibrated probability that this candidate is right
    explanation: str
    signals: dict = field(default_factory=dict)
