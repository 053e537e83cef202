"""The review-item kinds of collections: a dunning step, a payment-plan offer, a failed payment.

Each effect reads what it acts on from its own rows (the step filed for the item, the plan, the
failure), never from the editable payload, and sends through ``communication_send`` (once per
item, logged locally and in iMIS). Just before anything is sent, the recheck asks again whether
the invoice is still open and whether any pause or opt-out now holds.
"""

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from common.states import transition
from dues.collections import consent, pauses, plans
from dues.collections.cadence import DUNNING_KIND
from dues.models import DunningAction, DunningChannel, PaymentFailure
from imis_client.models import ImisInvoice
from reviews.kinds import ReviewKind

A = DunningAction.Status
KEEP = ("invoice", "step", "channel", "history", "instalment", "draft")


def _validate_step(payload: dict) -> dict:
    if not payload.get("invoice") or not payload.get("step"):
        raise DomainError("A dunning step names its invoice and step; they cannot be removed.")
    if payload.get("channel") != DunningChannel.CALL and not isinstance(payload.get("draft"), dict):
        raise DomainError('A dunning message keeps its draft: {"subject": ..., "body": ...}.')
    return {k: payload[k] for k in KEEP if k in payload}


def _action(item, *, lock: bool = False) -> DunningAction | None:
    rows = DunningAction.objects.select_related("step").filter(review_item_id=item.pk)
    return (rows.select_for_update(of=("self",)) if lock else rows).first()


def invoice_stop_reason(invoice_id: str, party_id: str, channel: str) -> str | None:
    """Why nothing may be sent about this invoice now: paid or closed, paused, opted out."""
    invoice = ImisInvoice.objects.filter(imis_id=invoice_id).only("is_open", "balance").first()
    if invoice is None or not invoice.is_open or (invoice.balance or 0) <= 0:
        return "the invoice is paid or closed"
    for _reason, detail in pauses.pauses_now([invoice_id]).get(invoice_id, []):
        return f"dunning is paused: {detail}"
    if channel in (DunningChannel.EMAIL, DunningChannel.SMS):
        refusal = consent.send_refusal(party_id, channel, "dunning")
        if refusal:
            return refusal
    return None


def _recheck_step(item) -> str | None:
    action = _action(item)
    if action is None:
        return "no dunning step was filed for this item"
    if action.status != A.FILED:
        return f"the step is already {action.get_status_display().lower()}"
    if action.plan_instalment_id is not None:  # a plan's own reminder: its plan pauses nothing
        invoice = ImisInvoice.objects.filter(imis_id=action.invoice_id).first()
        if invoice is None or not invoice.is_open or (invoice.balance or 0) <= 0:
            return "the invoice is paid or closed"
        return consent.send_refusal(action.party_id, action.step.channel, "dunning")
    return invoice_stop_reason(action.invoice_id, action.party_id, action.step.channel)


def _effect_step(item) -> dict:
    from reviews.communications import communication_send, recipient_for

    action = _action(item, lock=True)
    if action is None:
        raise DomainError("No dunning step was filed for this item.")
    if action.status != A.FILED:  # carried out before: nothing twice
        return {"action": action.pk, "status": action.status}
    result: dict = {"action": action.pk}
    if action.step.channel == DunningChannel.CALL:
        transition(action, A.TASKED, subject=f"Dunning step {action.pk}")
        action.outcome = "call task done by " + (
            item.decided_by.get_username() if item.decided_by else "policy"
        )
    else:
        draft = item.payload["draft"]
        comm = communication_send(
            key=f"dunning-{action.pk}-{item.effect_key}",
            member_id=action.party_id,
            to_address=recipient_for(action.party_id, action.step.channel),
            subject=draft.get("subject", ""),
            body=draft["body"],
            channel=action.step.channel,
            purpose=action.step.purpose,
            item=item,
            actor=item.decided_by,
            auto=item.decided_by_policy,
        )
        transition(action, A.SENT, subject=f"Dunning step {action.pk}")
        action.outcome = f"{action.step.get_channel_display()} queued as message {comm.pk}"
        result["communication"] = comm.pk
    action.is_open = False
    action.save(update_fields=["status", "is_open", "outcome"])
    audit_record(
        action="dunning.step_done",
        summary=f"Invoice {action.invoice_id}: {action.step.label}: {action.outcome}",
        actor=item.decided_by,
        actor_name=None if item.decided_by else "policy",
        object_type="dunning_action",
        object_id=action.pk,
        member_id=action.party_id,
        data=result,
    )
    return result


DUNNING_STEP = ReviewKind(
    name=DUNNING_KIND,
    label="Dunning step",
    queue="finance",
    validate=_validate_step,
    effect=_effect_step,
    recheck=_recheck_step,
)

PLAN_OFFER = ReviewKind(
    name=plans.PLAN_KIND,
    label="Payment-plan offer",
    queue="finance",
    validate=plans.validate,
    validate_many=plans.validate_many,
    effect=plans.effect,
    recheck=plans.recheck,
)


# --- failed payments ------------------------------------------------------------------------------


def _validate_failure(payload: dict) -> dict:
    if not str(payload.get("failure") or "").isdigit():
        raise DomainError("A failed-payment item names its failure; it cannot be removed.")
    if not isinstance(payload.get("draft"), dict):
        raise DomainError('The update-your-card message keeps its draft: {"subject", "body"}.')
    keep = ("failure", "source", "reason", "retry_on", "draft")
    return {k: payload[k] for k in keep if k in payload}


def _failure(item, *, lock: bool = False) -> PaymentFailure | None:
    rows = PaymentFailure.objects.filter(review_item_id=item.pk)
    return (rows.select_for_update() if lock else rows).first()


def _recheck_failure(item) -> str | None:
    failure = _failure(item)
    if failure is None:
        return "the failed payment is no longer recorded"
    if failure.invoice_id:
        return invoice_stop_reason(failure.invoice_id, failure.party_id, DunningChannel.EMAIL)
    return consent.send_refusal(failure.party_id, "email", "payment_failed")


@transaction.atomic
def _effect_failure(item) -> dict:
    from reviews.communications import communication_send, recipient_for

    failure = _failure(item, lock=True)
    if failure is None:
        raise DomainError("The failed payment is no longer recorded.")
    draft = item.payload["draft"]
    comm = communication_send(
        key=f"payment-failed-{failure.pk}-{item.effect_key}",
        member_id=failure.party_id,
        to_address=recipient_for(failure.party_id, "email"),
        subject=draft.get("subject", ""),
        body=draft["body"],
        channel="email",
        purpose="payment_failed",
        item=item,
        actor=item.decided_by,
        auto=item.decided_by_policy,
    )
    return {"failure": failure.pk, "communication": comm.pk}


PAYMENT_FAILURE = ReviewKind(
    name="dues.payment_failed",
    label="Failed payment: update-your-card message",
    queue="finance",
    validate=_validate_failure,
    effect=_effect_failure,
    recheck=_recheck_failure,
)
