"""The general-ledger journal of the month-end close: balanced entries appended, never edited.

The database refuses an unbalanced entry at commit and any entry dated in a closed period
(migration 0009); checking here first gives a person a message they can act on.
"""

from django.db import IntegrityError, InternalError, transaction

from common.errors import DomainError
from dues.models.close import GlEntry, GlEntryLine


def closed_period_error(exc: Exception) -> DomainError | None:
    """The database's refusal of an entry in a closed period, as a person's message."""
    text = str(exc)
    if "closed period" not in text:
        return None
    return DomainError(text.splitlines()[0].removeprefix("ERROR:").strip(), code="period_closed")


@transaction.atomic
def gl_entry_record(
    *, draft, key: str, review_item=None, proposed_by_name: str = "", approved_by_name: str = ""
) -> GlEntry:
    """Append one balanced entry (a JournalEntryDraft); a second call with the same key returns
    the first entry."""
    existing = GlEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing
    draft.check()
    try:
        with transaction.atomic():
            entry = GlEntry.objects.create(
                key=key,
                entry_date=draft.entry_date,
                journal=draft.journal,
                reference=draft.reference,
                memo=draft.memo,
                source=draft.source,
                source_ref=draft.source_ref,
                review_item=review_item,
                proposed_by_name=proposed_by_name[:150],
                approved_by_name=approved_by_name[:150],
            )
            GlEntryLine.objects.bulk_create(
                [
                    GlEntryLine(
                        entry=entry, account=line.account, amount=line.amount, memo=line.memo
                    )
                    for line in draft.lines
                ]
            )
    except (IntegrityError, InternalError) as exc:
        error = closed_period_error(exc)
        if error is not None:
            raise error from exc
        raise
    return entry
