"""Writes of the review queues: propose, edit, decide, execute. Pages and API call these only."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_event, audit_record, audit_record_many
from common.bulk import rows_update
from common.errors import DomainError
from common.money import ZERO, format_money
from common.states import transition
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue_many
from reviews.drafting import hooks as draft_hooks
from reviews.kinds import get_kind
from reviews.models import ReviewItem, ReviewPolicy
from reviews.permissions import DECIDE_MANAGER, QUEUE_PERMISSION

S = ReviewItem.Status


def _transition(item: ReviewItem, to: str) -> None:
    transition(item, to, subject=f"Item #{item.pk}")


def _audit_event(item: ReviewItem, action: str, summary: str, *, actor=None, **data):
    return audit_event(
        action=f"review.{action}",
        summary=f"#{item.pk} {item.title}: {summary}",
        actor=actor,
        actor_name=None if actor else ("policy" if item.decided_by_policy else None),
        object_type="review_item",
        object_id=item.pk,
        member_id=item.member_id,
        data={"kind": item.kind, **data},
    )


def _audit(item: ReviewItem, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record_many([_audit_event(item, action, summary, actor=actor, **data)])


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
                _audit_event(item, "observed", "recorded under an Observe policy", actor=actor)
            )
        elif (
            mode == ReviewPolicy.Mode.AUTO
            and actor is None  # a person's own proposal (a check entered by hand) needs a second
            and policy is not None
            and _within_auto_limits(policy, item)
        ):
            # A message sent with no person reviewing it says so.
            item.payload = item.original_payload = draft_hooks.labelled_auto(item.payload)
            _transition(item, S.APPROVED)
            item.decided_by_policy = True
            item.decided_at = timezone.now()
            events.append(_audit_event(item, "auto_approved", "approved by an Auto policy"))
            approved.append(item)
        else:
            events.append(
                _audit_event(item, "proposed", f"proposed to the {item.queue} queue", actor=actor)
            )
    rows_update(
        [item for item in items if item.status != S.PENDING],
        ["status", "payload", "original_payload", "decided_by_policy", "decided_at"],
    )
    audit_record_many(events)
    if enqueue:
        for item in approved:
            _enqueue_execute(item)
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
        _transition(item, S.PENDING)
        item.decided_by, item.decided_at, item.decided_by_policy = None, None, False
    item.edit_diff = _diff(item.original_payload, cleaned)
    item.payload = cleaned
    item.last_edited_by = user
    item.save()
    _audit(
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
        _transition(item, S.REJECTED)
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
        _transition(item, S.EDITED if item.edit_diff else S.APPROVED)
    else:
        raise DomainError(f"Unknown decision {decision!r}: accept, edit or reject.")
    item.decided_by, item.decided_at = user, timezone.now()
    item.save()
    _audit(
        item,
        item.status,
        item.get_status_display().lower(),
        actor=user,
        reason=item.reject_reason,
        note=item.reject_note,
        diff=item.edit_diff,
    )
    if enqueue and item.status in (S.APPROVED, S.EDITED):
        _enqueue_execute(item)
    return item


def _enqueue_execute(item: ReviewItem) -> None:
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
                _transition(item, S.STALE)
                item.stale_reason = reason[:300]
                events.append(_audit_event(item, "stale", reason))
            else:
                _transition(item, S.EXECUTING)
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
                _transition(item, S.FAILED)
                item.effect_error = f"{type(outcome).__name__}: {outcome}"
                events.append(_audit_event(item, "failed", item.effect_error))
                continue
            _transition(item, S.DONE)
            item.effect_result, item.effect_error = outcome or {}, ""
            events.append(_audit_event(item, "done", "carried out", result=item.effect_result))
            writes.append(_imis_record(item, "done", f"{spec.label} carried out: {item.title}"))
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


def _actor_name(item: ReviewItem, user=None) -> str:
    if user is not None:
        return user.get_username()
    if item.decided_by_policy:
        return "policy"
    return item.decided_by.get_username() if item.decided_by else "system"


def _record_in_imis(item: ReviewItem, action: str, summary: str, *, user=None) -> None:
    """Effects are also recorded in iMIS's AI_Audit_Log, through the outbox (CONTRACT.md)."""
    outbox_enqueue_many([_imis_record(item, action, summary, user=user)])


def _imis_record(item: ReviewItem, action: str, summary: str, *, user=None) -> tuple:
    """The AI_Audit_Log write of an item's event, for ``outbox_enqueue_many``."""
    return (
        writes.audit_log,
        f"review item {item.pk}",
        {
            "action": f"{item.kind}:{action}",
            "actor": _actor_name(item, user),
            "review_item_id": str(item.pk),
            "summary": summary,
            "created_on": timezone.now(),
            "party_id": item.member_id,
        },
    )


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
    if to not in ReviewItem.TRANSITIONS[S(item.status)]:
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
    before = (
        {}
        if created
        else {
            "mode": policy.mode,
            "min_confidence": policy.min_confidence,
            "max_amount": policy.max_amount,
        }
    )
    policy.mode, policy.min_confidence, policy.max_amount = mode, min_confidence, max_amount
    policy.updated_by = user
    policy.full_clean()
    policy.save()
    after = {"mode": mode, "min_confidence": min_confidence, "max_amount": max_amount}
    audit_record(
        action="review.policy_changed",
        summary=f"{spec.label} for {segment or 'every member'}: {policy.get_mode_display()}",
        actor=user,
        object_type="review_policy",
        object_id=policy.pk,
        data={"kind": kind, "segment": segment, "before": before, "after": after},
    )
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
