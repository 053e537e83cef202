"""Registrations of the month-end close, imported once from DuesConfig.ready(): the journal-entry
review kind, the reconciliation job and the menu entries."""

from dues.close import jobs, recon_navigation  # noqa: F401  (job kinds, menu entries)
from dues.close.entries import JOURNAL_ENTRY
from reviews.kinds import register_kind

register_kind(JOURNAL_ENTRY)
