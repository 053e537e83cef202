"""Registrations of the month-end close, imported once from DuesConfig.ready(): the journal-entry
and recognition review kinds, new-member billing, the reconciliation job, board pack sections,
menu entries, and the scan that follows each sync."""

from django.db import transaction
from django_q.tasks import async_task

from dues.billing.newmember import NEW_MEMBER_BILLING
from dues.close import boardpack, jobs, navigation, recon_navigation  # noqa: F401  (registrations)
from dues.close.entries import JOURNAL_ENTRY
from dues.close.recognition_entries import REVENUE_RECOGNITION
from imis_client.hooks import sync_finished
from reviews.kinds import register_kind

register_kind(JOURNAL_ENTRY)
register_kind(REVENUE_RECOGNITION)
register_kind(NEW_MEMBER_BILLING)


def _after_sync(sender, run, **kwargs) -> None:
    # In a worker: a sync stays as fast however many members joined.
    transaction.on_commit(lambda: async_task("dues.billing.newmember.newmember_scan_task"))


sync_finished.connect(_after_sync, dispatch_uid="dues.newmember_after_sync")
