"""Payment matching: an incoming payment turned into ranked candidates with a confidence.

The matcher is pure (no Django, no ORM): ``build_index`` once over the open invoices, the
parties and past payments, then ``match`` each ``Remittance``; the records it takes and returns
are in ``records``. Its steps: ``read`` (what the
remittance says), ``block`` (the accounts worth scoring), ``alloc`` (how a payment spreads over
an account's invoices), ``score`` with ``names`` and ``model`` (the likelihoods), over the
``index`` built with ``links`` (households, who pays for whom) and ``text`` (names, memos,
numbers). The database side: ``candidates`` loads the index's inputs from the iMIS mirror, and
``run.payments_match`` matches the payments waiting and files what it finds.
"""

from dues.matching.index import MatchIndex
from dues.matching.matcher import DEFAULT_AUTO_THRESHOLD, auto_applicable, build_index, match
from dues.matching.records import Candidate, OpenInvoice, Party, PastPayment, Remittance

__all__ = [
    "DEFAULT_AUTO_THRESHOLD",
    "Candidate",
    "MatchIndex",
    "OpenInvoice",
    "Party",
    "PastPayment",
    "Remittance",
    "auto_applicable",
    "build_index",
    "match",
]
