"""Writes of the review queues: propose, edit, decide, execute. Pages and API call these only."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_record
from common.errors import DomainError
from common.money import format_money
from common.states import transition
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.drafting import hooks as draft_hooks
from reviews.kinds import get_kind
from reviews.models import ReviewItem, ReviewPolicy
from reviews.permissions import DECIDE_MANAGER, QUEUE_PERMISSION

S = ReviewItem.Status


def _transition(item: ReviewItem, to: str) -> None:
    transition(item, to, subject=f"Item #{item.pk}")


def _audit(item: ReviewItem, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record(
        action=f"review.{action}", summary=f"#{item.pk} {item.title}: {summary}", actor=actor,
        actor_name=None if actor else ("policy" if item.decided_by_policy else None),
        object_type="review_item", object_id=item.pk, member_id=item.member_id,
        data={"kind": item.kind, **data},
    )  # fmt: skip


def policy_for(kind: str, segment: str = "") -> ReviewPolicy | None:
    policies = {
        p.segment: p for p in ReviewPolicy.objects.filter(kind=kind, segment__in=[segment, ""])
    }
    return policies.get(segment) or policies.get("")


def _within_auto_limits(policy: ReviewPolicy, item: ReviewItem) -> bool:
    if item.needs_manager or draft_hooks.blocking(item.payload):
        return False
    if policy.min_confidence is not None and (item.confidence or 0) < policy.min_confidence:
        return False
    return not (
        policy.max_amount is not None
        and item.amount is not None
        and item.amount > policy.max_amount
    )


@transaction.atomic
def review_item_propose(
    *,
    kind: str,
    title: str,
    payload: dict,
    member_id: str = "",
    invoice_id: str = "",
    object_ref: str = "",
    summary: str = "",
    evidence: list | None = None,
    rationale: str = "",
    confidence: Decimal | None = None,
    amount: Decimal | None = None,
    priority: int = 0,
    due_by=None,
    proposed_by=None,
    proposed_by_job: str = "",
    segment: str = "",
    dedupe_key: str | None = None,
) -> ReviewItem:
    """File a proposal; the kind's policy decides whether a person sees it."""
    spec = get_kind(kind)
    cleaned = draft_hooks.checked(spec.validate(dict(payload)))
    needs_manager = bool(
        spec.threshold is not None and amount is not None and amount > spec.threshold
    )
    item = ReviewItem(
        kind=kind, queue=spec.queue, member_id=member_id, invoice_id=invoice_id,
        object_ref=object_ref, title=title, summary=summary, evidence=evidence or [],
        rationale=rationale, confidence=confidence, payload=cleaned, original_payload=cleaned,
        amount=amount, needs_manager=needs_manager, priority=priority, due_by=due_by,
        proposed_by=proposed_by, proposed_by_job=proposed_by_job, dedupe_key=dedupe_key,
    )  # fmt: skip
    if needs_manager and spec.queue != "manager":
        item.queue = "manager"
    item.full_clean(exclude=["dedupe_key"])
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise DomainError(
            f"A proposal for {dedupe_key} already exists; it was not filed twice.", code="duplicate"
        ) from None
    policy = policy_for(kind, segment)
    mode = policy.mode if policy else ReviewPolicy.Mode.ASSIST
    if mode == ReviewPolicy.Mode.OBSERVE:
        item.status = S.OBSERVED
        item.save(update_fields=["status", "updated_at"])
        _audit(item, "observed", "recorded under an Observe policy", actor=proposed_by)
    elif mode == ReviewPolicy.Mode.AUTO and _within_auto_limits(policy, item):
        # A message sent with no person reviewing it says so.
        item.payload = item.original_payload = draft_hooks.labelled_auto(item.payload)
        _transition(item, S.APPROVED)
        item.decided_by_policy = True
        item.decided_at = timezone.now()
        item.save()
        _audit(item, "auto_approved", "approved by an Auto policy")
        _enqueue_execute(item)
    else:
        _audit(item, "proposed", f"proposed to the {item.queue} queue", actor=proposed_by)
    return item


def _diff(before: dict, after: dict) -> dict:
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


@transaction.atomic
def review_item_edit(*, item_id: int, user, payload: dict) -> ReviewItem:
    """Save a changed proposal without deciding it; an approval not yet carried out is voided."""
    item = ReviewItem.objects.select_for_update().get(pk=item_id)
    if item.status not in (S.PENDING, S.APPROVED, S.EDITED):
        raise DomainError(
            f"Item #{item.pk} is {item.get_status_display().lower()}; it can no longer be edited."
        )
    cleaned = draft_hooks.checked(get_kind(item.kind).validate(dict(payload)), item.payload)
    if cleaned == item.payload:
        raise DomainError("Nothing was changed.", code="unchanged")
    voided = item.status in (S.APPROVED, S.EDITED)
    if voided:
        _transition(item, S.PENDING)
        item.decided_by, item.decided_at, item.decided_by_policy = None, None, False
    item.edit_diff = _diff(item.original_payload, cleaned)
    item.payload = cleaned
    item.last_edited_by = user
    item.save()
    _audit(item, "edited", "edited; approval voided" if voided else "edited", actor=user,
           diff=item.edit_diff)  # fmt: skip
    return item


def _check_may_approve(item: ReviewItem, user) -> None:
    # Four eyes hold for superusers too: is_superuser grants every permission, not this.
    if item.proposed_by_id is not None and item.proposed_by_id == user.pk:
        raise DomainError("You proposed this item; someone else must approve it.", code="four_eyes")
    if item.last_edited_by_id is not None and item.last_edited_by_id == user.pk:
        raise DomainError(
            "You edited this item last; someone else must approve it.", code="four_eyes"
        )
    if item.needs_manager and not user.has_perm(DECIDE_MANAGER):
        spec = get_kind(item.kind)
        raise DomainError(
            f"Approving {format_money(item.amount)} needs a Manager: it is above the "
            f"{format_money(spec.threshold)} limit for {spec.label}.",
            code="threshold",
        )


@transaction.atomic
def review_item_decide(
    *,
    item_id: int,
    user,
    decision: str,
    payload: dict | None = None,
    reason: str = "",
    note: str = "",
) -> ReviewItem:
    """Accept, edit-and-accept, or reject, under the rules. Concurrent deciders: one wins."""
    item = ReviewItem.objects.select_for_update().get(pk=item_id)
    if item.status != S.PENDING:
        if item.status in ReviewItem.DECIDED or item.decided_at:
            who = item.decided_by.get_username() if item.decided_by else "an Auto policy"
            when = timezone.localtime(item.decided_at).strftime("%Y-%m-%d %H:%M:%S")
            raise DomainError(f"Already decided by {who} at {when}.", code="already_decided")
        raise DomainError(
            f"Item #{item.pk} is {item.get_status_display().lower()}; it cannot be decided.",
            code="not_pending",
        )
    if not user.has_perm(QUEUE_PERMISSION[item.queue]):
        raise DomainError(f"Your role cannot decide items in the {item.queue} queue.", code="queue")
    if decision == "reject":
        if reason not in ReviewItem.RejectReason.values:
            raise DomainError("Choose a reason for rejecting.", code="reason")
        if reason == ReviewItem.RejectReason.OTHER and not note.strip():
            raise DomainError("Say why in a few words when the reason is Other.", code="reason")
        _transition(item, S.REJECTED)
        item.reject_reason, item.reject_note = reason, note.strip()
    elif decision in ("accept", "edit"):
        _check_may_approve(item, user)
        if decision == "edit":
            cleaned = get_kind(item.kind).validate(dict(payload or {}))
            cleaned = draft_hooks.checked(cleaned, item.payload)
            if cleaned == item.payload:
                raise DomainError("Nothing was changed; accept the item instead.", code="unchanged")
            draft_hooks.refuse_if_blocked(cleaned)
            item.edit_diff = _diff(item.original_payload, cleaned)
            item.payload = cleaned
            _transition(item, S.EDITED)
        else:
            draft_hooks.refuse_if_blocked(item.payload)
            _transition(item, S.APPROVED)
    else:
        raise DomainError(f"Unknown decision {decision!r}: accept, edit or reject.")
    item.decided_by, item.decided_at = user, timezone.now()
    item.save()
    _audit(item, item.status, item.get_status_display().lower(), actor=user,
           reason=item.reject_reason, note=item.reject_note, diff=item.edit_diff)  # fmt: skip
    if item.status in (S.APPROVED, S.EDITED):
        _enqueue_execute(item)
    return item


def _enqueue_execute(item: ReviewItem) -> None:
    # The ORM broker: the task row commits or rolls back with the decision.
    async_task("reviews.tasks.review_item_execute_task", item.pk, task_name=f"review-{item.pk}")


def review_item_execute(*, item_id: int) -> ReviewItem:
    """Carry out an approved item once: re-check it, then run its effect in one transaction.

    A second run finds it done and does nothing; a failed run is kept with its error.
    """
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item_id)
        if item.status not in (S.APPROVED, S.EDITED, S.FAILED):
            return item
        spec = get_kind(item.kind)
        stale = spec.recheck(item)
        if stale:
            _transition(item, S.STALE)
            item.stale_reason = stale[:300]
            item.save()
            _audit(item, "stale", stale)
            return item
        _transition(item, S.EXECUTING)
        item.effect_attempts += 1
        try:
            with transaction.atomic():  # a failing effect rolls back alone, leaving the item
                result = spec.effect(item)
        except Exception as exc:  # kept on the item; a person can retry
            _transition(item, S.FAILED)
            item.effect_error = f"{type(exc).__name__}: {exc}"
            item.save()
            _audit(item, "failed", item.effect_error)
            return item
        _transition(item, S.DONE)
        item.effect_result, item.effect_error = result or {}, ""
        item.save()
        _audit(item, "done", "carried out", result=item.effect_result)
        _record_in_imis(item, "done", f"{spec.label} carried out: {item.title}")
        return item


def _actor_name(item: ReviewItem, user=None) -> str:
    if user is not None:
        return user.get_username()
    if item.decided_by_policy:
        return "policy"
    return item.decided_by.get_username() if item.decided_by else "system"


def _record_in_imis(item: ReviewItem, action: str, summary: str, *, user=None) -> None:
    """Effects are also recorded in iMIS's AI_Audit_Log, through the outbox (CONTRACT.md)."""
    outbox_enqueue(
        build=writes.audit_log, source=f"review item {item.pk}", action=f"{item.kind}:{action}",
        actor=_actor_name(item, user), review_item_id=str(item.pk), summary=summary,
        created_on=timezone.now(), party_id=item.member_id,
    )  # fmt: skip


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
    _audit(item, "retry", f"retry requested after: {item.effect_error[:200]}", actor=user)
    _enqueue_execute(item)
    return item


@transaction.atomic
def review_item_close(*, item_id: int, to: str, reason: str, actor=None) -> ReviewItem:
    """The app that filed an item ends it from its own side: stale (re-matched, refunded) or
    reversed (undone in the app's own flow, which has already reversed its effect).

    A move the item's state does not allow is a no-op, so the app may call it unconditionally.
    """
    if to not in (S.STALE, S.REVERSED):
        raise ValueError(f"an app may close an item as stale or reversed, not {to!r}")
    item = ReviewItem.objects.select_for_update().get(pk=item_id)
    if to not in ReviewItem.TRANSITIONS[item.status]:
        return item
    _transition(item, to)
    if to == S.STALE:
        item.stale_reason = reason[:300]
    item.save()
    _audit(item, to, reason, actor=actor)
    if to == S.REVERSED:
        spec = get_kind(item.kind)
        _record_in_imis(item, "reversed", f"{spec.label} reversed: {reason}", user=actor)
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
    _transition(item, S.REVERSED)
    item.effect_result = {**(item.effect_result or {}), "reversal": result}
    item.save()
    _audit(item, "reversed", reason.strip(), actor=user, result=result)
    _record_in_imis(item, "reversed", f"{spec.label} reversed: {reason.strip()}", user=user)
    return item


@transaction.atomic
def review_policy_set(
    *,
    user,
    kind: str,
    segment: str = "",
    mode: str,
    min_confidence: Decimal | None = None,
    max_amount: Decimal | None = None,
) -> ReviewPolicy:
    """Set how a kind is handled for a segment; the change itself is audited."""
    spec = get_kind(kind)
    if mode not in ReviewPolicy.Mode.values:
        raise DomainError(f"Unknown mode {mode!r}: observe, assist or auto.")
    if mode == ReviewPolicy.Mode.AUTO and min_confidence is None:
        raise DomainError("An Auto policy needs a minimum confidence; set one between 0 and 1.")
    if min_confidence is not None and not (Decimal(0) <= min_confidence <= Decimal(1)):
        raise DomainError("Minimum confidence must be between 0 and 1 (e.g. 0.95).")
    if max_amount is not None and max_amount < 0:
        raise DomainError("The amount limit cannot be negative.")
    policy, created = ReviewPolicy.objects.select_for_update().get_or_create(
        kind=kind, segment=segment, defaults={"mode": mode}
    )
    before = {} if created else {
        "mode": policy.mode, "min_confidence": policy.min_confidence,
        "max_amount": policy.max_amount,
    }  # fmt: skip
    policy.mode, policy.min_confidence, policy.max_amount = mode, min_confidence, max_amount
    policy.updated_by = user
    policy.full_clean()
    policy.save()
    after = {"mode": mode, "min_confidence": min_confidence, "max_amount": max_amount}
    audit_record(
        action="review.policy_changed",
        summary=f"{spec.label} for {segment or 'every member'}: {policy.get_mode_display()}",
        actor=user, object_type="review_policy", object_id=policy.pk,
        data={"kind": kind, "segment": segment, "before": before, "after": after},
    )  # fmt: skip
    return policy


def review_items_expire(*, now=None) -> int:
    """Pending proposals past their due time expire: they were never decided, so nothing ran."""
    now = now or timezone.now()
    expired = 0
    for item_id in ReviewItem.objects.filter(status=S.PENDING, due_by__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            item = ReviewItem.objects.select_for_update().get(pk=item_id)
            if item.status != S.PENDING or not item.due_by or item.due_by >= now:
                continue  # decided meanwhile
            _transition(item, S.EXPIRED)
            item.save()
            _audit(item, "expired", f"expired undecided (due {item.due_by:%Y-%m-%d %H:%M})")
            expired += 1
    return expired
