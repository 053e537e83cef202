"""Carrying out decided review items: each kind's effect once, re-checked first; retry of a
failed effect; reversal of a carried-out one. The effect's writes, the item's state and its
audit rows commit together."""

from django.db import transaction
from django_q.tasks import async_task

from common.audit import audit_record_many
from common.bulk import rows_update
from common.errors import DomainError
from imis_client.services import outbox_enqueue_many
from reviews.item_events import (
    imis_record,
    item_audit,
    item_audit_event,
    item_transition,
    record_in_imis,
)
from reviews.kinds import get_kind
from reviews.models import ReviewItem
from reviews.permissions import QUEUE_PERMISSION

S = ReviewItem.Status


def enqueue_execute(item: ReviewItem) -> None:
    # The ORM broker: the task row commits or rolls back with the decision.
    async_task("reviews.tasks.review_item_execute_task", item.pk, task_name=f"review-{item.pk}")


def review_item_execute(*, item_id: int) -> ReviewItem:
    """Carry out an approved item once: re-check it, then run its effect in one transaction.

    A second run finds it done and does nothing; a failed run is kept with its error.
    """
    done = review_items_execute_many(item_ids=[item_id])
    if not done:
        raise ReviewItem.DoesNotExist(f"Review item #{item_id} does not exist.")
    return done[0]


@transaction.atomic
def review_items_execute_many(*, item_ids: list[int]) -> list[ReviewItem]:
    """``review_item_execute`` for many items in one transaction: the same re-checks, effects
    and rows for each, the effects of a kind that has ``effect_many`` run together (each
    item's failure undoes that item's writes only). Items not approved are returned as they
    are."""
    items = list(ReviewItem.objects.select_for_update().filter(pk__in=item_ids).order_by("id"))
    due = [item for item in items if item.status in (S.APPROVED, S.EDITED, S.FAILED)]
    events, writes, changed = [], [], []
    by_kind: dict[str, list[ReviewItem]] = {}
    for item in due:
        by_kind.setdefault(item.kind, []).append(item)
    for kind, batch in by_kind.items():
        spec = get_kind(kind)
        if spec.recheck_many is not None:
            stale = spec.recheck_many(batch)
        else:
            stale = {item.pk: spec.recheck(item) for item in batch}
        runnable = []
        for item in batch:
            reason = stale.get(item.pk)
            if reason:
                item_transition(item, S.STALE)
                item.stale_reason = reason[:300]
                events.append(item_audit_event(item, "stale", reason))
            else:
                item_transition(item, S.EXECUTING)
                item.effect_attempts += 1
                runnable.append(item)
            changed.append(item)
        if spec.effect_many is not None and runnable:
            outcomes = spec.effect_many(runnable)
        else:
            outcomes = {item.pk: _effect(spec, item) for item in runnable}
        for item in runnable:
            outcome = outcomes[item.pk]
            if isinstance(outcome, Exception):  # kept on the item; a person can retry
                item_transition(item, S.FAILED)
                item.effect_error = f"{type(outcome).__name__}: {outcome}"
                events.append(item_audit_event(item, "failed", item.effect_error))
                continue
            item_transition(item, S.DONE)
            item.effect_result, item.effect_error = outcome or {}, ""
            events.append(item_audit_event(item, "done", "carried out", result=item.effect_result))
            writes.append(imis_record(item, "done", f"{spec.label} carried out: {item.title}"))
    rows_update(
        changed, ["status", "stale_reason", "effect_attempts", "effect_result", "effect_error"]
    )
    audit_record_many(events)
    outbox_enqueue_many(writes)
    found = {item.pk: item for item in items}
    return [found[pk] for pk in item_ids if pk in found]


def _effect(spec, item: ReviewItem):
    """One item's effect, its writes undone alone when it fails: its result or the error."""
    try:
        with transaction.atomic():
            return spec.effect(item)
    except Exception as exc:  # kept on the item; a person can retry
        return exc


@transaction.atomic
def review_item_retry(*, item_id: int, user) -> ReviewItem:
    """Run a failed effect again (after fixing what its error names)."""
    item = ReviewItem.objects.select_for_update().get(pk=item_id)
    if item.status != S.FAILED:
        raise DomainError(
            f"Item #{item.pk} is {item.get_status_display().lower()}; only a failed effect can be "
            "retried.",
            code="not_failed",
        )
    if not user.has_perm(QUEUE_PERMISSION[item.queue]):
        raise DomainError(f"Your role cannot retry items in the {item.queue} queue.", code="queue")
    item_audit(item, "retry", f"retry requested after: {item.effect_error[:200]}", actor=user)
    enqueue_execute(item)
    return item


@transaction.atomic
def review_item_reverse(*, item_id: int, user, reason: str) -> ReviewItem:
    """Undo a carried-out effect where its kind allows it; the undo is audited here and in iMIS."""
    item = ReviewItem.objects.select_for_update().get(pk=item_id)
    spec = get_kind(item.kind)
    if spec.reverse is None:
        raise DomainError(f"{spec.label} items cannot be reversed.", code="irreversible")
    if item.status != S.DONE:
        raise DomainError(
            f"Item #{item.pk} is {item.get_status_display().lower()}; only a carried-out item "
            "can be reversed.",
            code="not_done",
        )
    if not user.has_perm(QUEUE_PERMISSION[item.queue]):
        raise DomainError(
            f"Your role cannot reverse items in the {item.queue} queue.", code="queue"
        )
    if not reason.strip():
        raise DomainError("Say why the effect is being reversed.", code="reason")
    result = spec.reverse(item) or {}
    item_transition(item, S.REVERSED)
    item.effect_result = {**(item.effect_result or {}), "reversal": result}
    item.save()
    item_audit(item, "reversed", reason.strip(), actor=user, result=result)
    record_in_imis(item, "reversed", f"{spec.label} reversed: {reason.strip()}", user=user)
    return item
