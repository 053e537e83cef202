"""Registrations of billing, imported once from DuesConfig.ready(): menu entries, the credit-memo
review kind, background jobs, and the memo filing that follows each run of the checks."""

from django.db import transaction
from django_q.tasks import async_task

from dues.billing import jobs, navigation  # noqa: F401  (job kinds, menu entries)
from dues.billing.kinds import CREDIT_MEMO
from dues.billing.services import AFTER_CHECKS
from reviews.kinds import register_kind

register_kind(CREDIT_MEMO)


def _file_memos(*, run, findings) -> None:
    # The memos are drafted in a worker: a check run stays fast however much it finds.
    if findings:
        transaction.on_commit(lambda: async_task("dues.billing.tasks.credit_memos_file_task"))


if _file_memos not in AFTER_CHECKS:
    AFTER_CHECKS.append(_file_memos)
