"""Writes of the review queues: propose, edit, decide, close, expire. Pages and API call these
only. Carrying out decided items lives in ``reviews.execution`` and policies in
``reviews.policies``; their service functions are named here too, so that callers have one
module of review writes."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.audit import audit_record_many
from common.bulk import rows_update
from common.errors import DomainError
from common.money import ZERO, format_money
from reviews.drafting import hooks as draft_hooks
from reviews.execution import (
    enqueue_execute,
    review_item_execute,
    review_item_retry,
    review_item_reverse,
    review_items_execute_many,
)
from reviews.item_events import item_audit, item_audit_event, item_transition, record_in_imis
from reviews.kinds import get_kind
from reviews.models import ReviewItem, ReviewPolicy
from reviews.permissions import DECIDE_MANAGER, QUEUE_PERMISSION
from reviews.policies import policy_for, review_policy_set, within_auto_limits

__all__ = [
    "policy_for",
    "review_item_close",
    "review_item_decide",
    "review_item_edit",
    "review_item_execute",
    "review_item_propose",
    "review_item_retry",
    "review_item_reverse",
    "review_items_execute_many",
    "review_items_expire",
    "review_items_propose_many",
    "review_policy_set",
]

S = ReviewItem.Status


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
    proposal = {
        "title": title,
        "payload": payload,
        "member_id": member_id,
        "invoice_id": invoice_id,
        "object_ref": object_ref,
        "summary": summary,
        "evidence": evidence,
        "rationale": rationale,
        "confidence": confidence,
        "amount": amount,
        "priority": priority,
        "due_by": due_by,
        "proposed_by": proposed_by,
        "proposed_by_job": proposed_by_job,
        "segment": segment,
        "dedupe_key": dedupe_key,
    }
    return review_items_propose_many(kind=kind, proposals=[proposal])[0]


@transaction.atomic
def review_items_propose_many(
    *, kind: str, proposals: list[dict], enqueue: bool = True
) -> list[ReviewItem]:
    """File proposals of one kind (each the keyword arguments of ``review_item_propose``
    without ``kind``) with the rows ``review_item_propose`` writes for each - the item as its
    policy leaves it, its audit event - inserted together.

    ``enqueue=False``: the caller carries out what an Auto policy approved in this same
    transaction (``review_items_execute_many``), so no task is queued to do it again.
    """
    spec = get_kind(kind)
    payloads = [dict(p["payload"]) for p in proposals]
    if spec.validate_many is not None:
        cleaned = spec.validate_many(payloads)
    else:
        cleaned = [spec.validate(payload) for payload in payloads]
    items, policies = [], {}
    for fields, payload in zip(proposals, cleaned, strict=True):
        item = _new_item(spec, fields, draft_hooks.checked(payload))
        segment = fields.get("segment", "")
        if segment not in policies:
            policies[segment] = policy_for(kind, segment)
        items.append(item)
    try:
        with transaction.atomic():
            ReviewItem.objects.bulk_create(items, batch_size=500)
    except IntegrityError:
        which = proposals[0].get("dedupe_key") if len(proposals) == 1 else "one of these"
        raise DomainError(
            f"A proposal for {which} already exists; it was not filed twice.", code="duplicate"
        ) from None
    events, approved = [], []
    for item, fields in zip(items, proposals, strict=True):
        policy = policies[fields.get("segment", "")]
        mode = policy.mode if policy else ReviewPolicy.Mode.ASSIST
        actor = fields.get("proposed_by")
        if mode == ReviewPolicy.Mode.OBSERVE:
            item.status = S.OBSERVED
            events.append(
                item_audit_event(item, "observed", "recorded under an Observe policy", actor=actor)
            )
        elif (
            mode == ReviewPolicy.Mode.AUTO
            and actor is None  # a person's own proposal (a check entered by hand) needs a second
            and policy is not None
            and within_auto_limits(policy, item)
        ):
            # A message sent with no person reviewing it says so.
            item.payload = item.original_payload = draft_hooks.labelled_auto(item.payload)
            item_transition(item, S.APPROVED)
            item.decided_by_policy = True
            item.decided_at = timezone.now()
            events.append(item_audit_event(item, "auto_approved", "approved by an Auto policy"))
            approved.append(item)
        else:
            events.append(
                item_audit_event(
                    item, "proposed", f"proposed to the {item.queue} queue", actor=actor
                )
            )
    rows_update(
        [item for item in items if item.status != S.PENDING],
        ["status", "payload", "original_payload", "decided_by_policy", "decided_at"],
    )
    audit_record_many(events)
    if enqueue:
        for item in approved:
            enqueue_execute(item)
    return items


def _new_item(spec, fields: dict, cleaned: dict) -> ReviewItem:
    """An item as proposed (not saved): queue, manager threshold, checked fields."""
    amount = fields.get("amount")
    needs_manager = bool(
        spec.threshold is not None and amount is not None and amount > spec.threshold
    )
    item = ReviewItem(
        kind=spec.name,
        queue=spec.queue,
        member_id=fields.get("member_id", ""),
        invoice_id=fields.get("invoice_id", ""),
        object_ref=fields.get("object_ref", ""),
        title=fields["title"],
        summary=fields.get("summary", ""),
        evidence=fields.get("evidence") or [],
        rationale=fields.get("rationale", ""),
        confidence=fields.get("confidence"),
        payload=cleaned,
        original_payload=cleaned,
        amount=amount,
        needs_manager=needs_manager,
        priority=fields.get("priority", 0),
        due_by=fields.get("due_by"),
        proposed_by=fields.get("proposed_by"),
        proposed_by_job=fields.get("proposed_by_job", ""),
        dedupe_key=fields.get("dedupe_key"),
    )
    if needs_manager and spec.queue != "manager":
        item.queue = "manager"
    # Unique fields and constraints are the database's to hold (a dedupe key filed twice is
    # refused when the row goes in).
    item.full_clean(exclude=["dedupe_key"], validate_unique=False, validate_constraints=False)
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
        raise DomainError("Nothing was changed; accept the item instead.", code="unchanged")
    voided = item.status in (S.APPROVED, S.EDITED)
    if voided:
        item_transition(item, S.PENDING)
        item.decided_by, item.decided_at, item.decided_by_policy = None, None, False
    item.edit_diff = _diff(item.original_payload, cleaned)
    item.payload = cleaned
    item.last_edited_by = user
    item.save()
    item_audit(
        item,
        "edited",
        "edited; approval voided" if voided else "edited",
        actor=user,
        diff=item.edit_diff,
    )
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
            f"Approving {format_money(item.amount or ZERO)} needs a Manager: it is above the "
            f"{format_money(spec.threshold or ZERO)} limit for {spec.label}.",
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
    enqueue: bool = True,
) -> ReviewItem:
    """Accept, edit-and-accept, or reject, under the rules. Concurrent deciders: one wins.

    ``enqueue=False``: the caller carries out an approval itself (``review_item_execute`` in the
    same transaction), so no task is queued to find it done.
    """
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
        item_transition(item, S.REJECTED)
        item.reject_reason, item.reject_note = reason, note.strip()
    elif decision == "edit":
        # Four eyes: whoever edits a proposal becomes its proposer, so the edit waits, pending,
        # for someone else to approve it (review_item_edit records who edited it last). An edit
        # sent for approval must pass the drafting guardrails, as an approval would.
        cleaned = draft_hooks.checked(
            get_kind(item.kind).validate(dict(payload or {})), item.payload
        )
        draft_hooks.refuse_if_blocked(cleaned)
        return review_item_edit(item_id=item.pk, user=user, payload=dict(payload or {}))
    elif decision == "accept":
        _check_may_approve(item, user)
        draft_hooks.refuse_if_blocked(item.payload)
        # Approved as edited when someone else's edit is what is being approved.
        item_transition(item, S.EDITED if item.edit_diff else S.APPROVED)
    else:
        raise DomainError(f"Unknown decision {decision!r}: accept, edit or reject.")
    item.decided_by, item.decided_at = user, timezone.now()
    item.save()
    item_audit(
        item,
        item.status,
        item.get_status_display().lower(),
        actor=user,
        reason=item.reject_reason,
        note=item.reject_note,
        diff=item.edit_diff,
    )
    if enqueue and item.status in (S.APPROVED, S.EDITED):
        enqueue_execute(item)
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
    if to not in ReviewItem.TRANSITIONS[S(item.status)]:
        return item
    item_transition(item, to)
    if to == S.STALE:
        item.stale_reason = reason[:300]
    item.save()
    item_audit(item, to, reason, actor=actor)
    if to == S.REVERSED:
        spec = get_kind(item.kind)
        record_in_imis(item, "reversed", f"{spec.label} reversed: {reason}", user=actor)
    return item


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
            item_transition(item, S.EXPIRED)
            item.save()
            item_audit(item, "expired", f"expired undecided (due {item.due_by:%Y-%m-%d %H:%M})")
            expired += 1
    return expired
