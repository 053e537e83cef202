"""Synthetic incoming payments for a book of open invoices, with their ground truth and carriers.

Typical use::

    from sandbox.payments import book_from_association, generate_payments, write_payment_files

    book = book_from_association(association)       # or synthetic_book(100_000, seed=1)
    payments = generate_payments(book, 300, seed=1)  # same inputs, same payments
    write_payment_files(payments, directory, as_of=..., stripe_secret=..., authorizenet_key=...)

``book`` holds the records and the entry points, ``draw`` how payments are drawn, ``history``
households and last cycle's payments, ``files`` the CSV, BAI2 and signed webhooks that carry
them. Nothing here imports Django.
"""

from .book import (
    Book,
    BookInvoice,
    BookParty,
    IncomingPayment,
    PastDuesPayment,
    book_from_association,
    clerk_allocation,
    generate_payments,
    payment_history,
    synthetic_book,
)
from .files import write_payment_files

__all__ = [
    "Book",
    "BookInvoice",
    "BookParty",
    "IncomingPayment",
    "PastDuesPayment",
    "book_from_association",
    "clerk_allocation",
    "generate_payments",
    "payment_history",
    "synthetic_book",
    "write_payment_files",
]
