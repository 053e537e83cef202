"""Payment plans: an offer of 2-6 monthly instalments of an invoice's balance (a review item with a
drafted offer), the member's signed link once it is approved, acceptance, and staff changes
(progress, the pause and the plan's own reminder are in ``plan_progress``).

The instalments follow the billing policy: each is the balance divided by their count, rounded
down to the cent, and the last takes the remainder, so they sum exactly to the balance (and a
deferred database trigger refuses any commit where they do not).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from common.audit import audit_event, audit_record, audit_record_many
from common.errors import DomainError
from common.links import absolute_url, link_issue, link_resolve, links_revoke_for
from common.money import DOWN, format_money, to_money
from common.states import transition
from dues.models import PaymentPlan, PlanInstalment
from imis_client.contracts import writes
from imis_client.models import ImisInvoice
from imis_client.services import outbox_enqueue_many
from reviews.models import ReviewItem
from reviews.services import review_item_close, review_items_propose_many

PLAN_KIND = "dues.payment_plan_offer"
MIN_INSTALMENTS, MAX_INSTALMENTS = 2, 6
DEFAULT_INSTALMENTS = 3
LINK_DAYS = 14
MISSED_GRACE_DAYS = 5  # an instalment unpaid this long after its date is missed
P = PaymentPlan.Status


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def schedule_split(balance: Decimal, count: int, first_due: date) -> list[tuple[date, Decimal]]:
    """Monthly instalments summing exactly to ``balance`` (the billing policy's rule)."""
    if not MIN_INSTALMENTS <= count <= MAX_INSTALMENTS:
        raise DomainError(
            f"A plan has {MIN_INSTALMENTS} to {MAX_INSTALMENTS} monthly instalments, not {count}."
        )
    balance = to_money(balance)
    if balance < Decimal("0.01") * count:
        raise DomainError(f"A balance of {format_money(balance)} cannot be split {count} ways.")
    each = to_money(balance / count, rule=DOWN)
    amounts = [each] * (count - 1) + [balance - each * (count - 1)]
    return [(add_months(first_due, n), amount) for n, amount in enumerate(amounts)]


def schedule_text(rows) -> str:
    return "; ".join(f"{day.isoformat()}: {format_money(amount)}" for day, amount in rows)


def _owed(invoice: ImisInvoice) -> Decimal:
    return invoice.balance if invoice.balance is not None else Decimal("0.00")


def _open_invoice(invoice_id: str) -> ImisInvoice:
    invoice = ImisInvoice.objects.filter(imis_id=invoice_id).first()
    if invoice is None:
        raise DomainError(f"Invoice {invoice_id} is not in the mirror; sync it first.")
    if not invoice.is_open or (invoice.balance or 0) <= 0:
        raise DomainError(f"Invoice {invoice.number or invoice_id} has nothing left to pay.")
    return invoice


def _check_no_live_plan(invoice_id: str, *, exclude: int | None = None) -> None:
    live = PaymentPlan.objects.filter(invoice_id=invoice_id, status__in=PaymentPlan.LIVE)
    if exclude is not None:
        live = live.exclude(pk=exclude)
    plan = live.first()
    if plan is not None:
        raise DomainError(
            f"Invoice {invoice_id} already has plan {plan.pk} ({plan.get_status_display()}); "
            "change or cancel it instead.",
            code="duplicate",
        )


def plan_offer_proposal(
    *,
    invoice_id: str,
    party_id: str,
    balance: Decimal,
    instalments: int | None,
    reason: str,
    today: date,
    base: dict | None = None,
    segment: str = "",
    proposed_by=None,
) -> dict:
    """The review-item proposal of a plan offer (the plan itself is written when it is filed by
    ``plan_offers_file``), its offer drafted for the member."""
    from reviews.drafting import draft_message

    count = instalments or DEFAULT_INSTALMENTS
    rows = schedule_split(balance, count, today + timedelta(days=14))
    draft = draft_message(
        purpose="payment_plan",
        member_id=party_id,
        channel="email",
        invoice_id=invoice_id,
        extra_facts={
            "plan_installments": (count, f"PaymentPlan offer ({count} instalments)"),
            "plan_installment_amount": (rows[0][1], "PaymentPlan schedule, first instalment"),
            "plan_first_due": (rows[0][0], "PaymentPlan schedule, first date"),
        },
    )
    return {
        "member_id": party_id,
        "invoice_id": invoice_id,
        "object_ref": f"invoice {invoice_id}",
        "amount": balance,
        **(base or {}),
        "title": f"Payment plan: {count} instalments of invoice {invoice_id}, "
        f"{format_money(balance)}",
        "summary": reason[:300],
        "payload": {
            "invoice": invoice_id,
            "instalments": str(count),
            "schedule": schedule_text(rows),
            "draft": draft.as_payload(),
        },
        "segment": segment,
        "proposed_by": proposed_by,
        "_rows": rows,
        "_reason": reason,
    }


def plan_offers_file(proposals: list[dict]) -> list[ReviewItem]:
    """Write each offer's plan and instalments, then file the offers as review items (the rows
    of all the offers written together: a dunning batch files hundreds)."""
    held = set(
        PaymentPlan.objects.filter(
            invoice_id__in=[p["invoice_id"] for p in proposals], status__in=PaymentPlan.LIVE
        ).values_list("invoice_id", flat=True)
    )
    for proposal in proposals:
        if proposal["invoice_id"] in held:
            _check_no_live_plan(proposal["invoice_id"])  # raises, naming the plan
    plans = PaymentPlan.objects.bulk_create(
        PaymentPlan(
            invoice_id=proposal["invoice_id"],
            party_id=proposal["member_id"],
            balance=proposal["amount"],
            reason=proposal.pop("_reason")[:300],
            proposed_by=proposal.get("proposed_by"),
            last_edited_by=proposal.get("proposed_by"),
        )
        for proposal in proposals
    )
    schedules = [proposal.pop("_rows") for proposal in proposals]
    for plan, rows in zip(plans, schedules, strict=True):
        _schedule_check(plan, rows)
    PlanInstalment.objects.bulk_create(
        PlanInstalment(plan=plan, number=n, due_on=day, amount=amount)
        for plan, rows in zip(plans, schedules, strict=True)
        for n, (day, amount) in enumerate(rows, start=1)
    )
    for plan, proposal in zip(plans, proposals, strict=True):
        proposal["payload"]["plan"] = str(plan.pk)
        proposal["dedupe_key"] = f"plan-offer:{plan.pk}:1"
    items = review_items_propose_many(kind=PLAN_KIND, proposals=proposals)
    now = timezone.now()
    for plan, item in zip(plans, items, strict=True):
        plan.review_item, plan.updated_at = item, now
    PaymentPlan.objects.bulk_update(plans, ["review_item", "updated_at"])
    audit_record_many(
        [
            _audit_event(plan, "plan.proposed", f"Plan of {len(rows)} instalments proposed")
            for plan, rows in zip(plans, schedules, strict=True)
        ]
    )
    return items


def _schedule_check(plan: PaymentPlan, rows) -> None:
    if sum((amount for _, amount in rows), Decimal(0)) != plan.balance:
        raise DomainError(
            f"The schedule sums to {format_money(sum((a for _, a in rows), Decimal(0)))}, "
            f"not the balance {format_money(plan.balance)}; it was not saved."
        )


def _instalments_write(plan: PaymentPlan, rows) -> None:
    _schedule_check(plan, rows)
    plan.instalments.all().delete()
    PlanInstalment.objects.bulk_create(
        PlanInstalment(plan=plan, number=n, due_on=day, amount=amount)
        for n, (day, amount) in enumerate(rows, start=1)
    )


def plan_audit(plan: PaymentPlan, action: str, summary: str, *, actor=None, **data) -> None:
    _audit_event(plan, action, summary, actor=actor, **data).save(force_insert=True)


def _audit_event(plan: PaymentPlan, action: str, summary: str, *, actor=None, **data):
    return audit_event(
        action=action,
        summary=f"Plan {plan.pk}, invoice {plan.invoice_id}: {summary}",
        actor=actor,
        object_type="payment_plan",
        object_id=plan.pk,
        member_id=plan.party_id,
        data={"status": plan.status, "balance": str(plan.balance), **data},
    )


@transaction.atomic
def plan_offer_propose(
    *, invoice_id: str, instalments: int | None, proposed_by, reason: str
) -> ReviewItem:
    """File a payment-plan offer for an open invoice (staff on the invoice page, the inquiries
    desk for "can I pay in instalments?"). A person other than ``proposed_by`` approves it."""
    invoice = _open_invoice(invoice_id)
    _check_no_live_plan(invoice_id)
    proposal = plan_offer_proposal(
        invoice_id=invoice_id,
        party_id=invoice.bill_to_id or invoice.sold_to_id,
        balance=_owed(invoice),
        instalments=instalments,
        reason=reason or "Proposed by staff",
        today=timezone.localdate(),
        proposed_by=proposed_by if getattr(proposed_by, "is_authenticated", False) else None,
    )
    return plan_offers_file([proposal])[0]


# --- the review kind ----------------------------------------------------------------------------


def validate(payload: dict) -> dict:
    return validate_many([payload])[0]


def validate_many(payloads: list[dict]) -> list[dict]:
    """Each offer's payload as kept, its plan checked to exist (all plans read at once)."""
    refs = [str(payload.get("plan") or "") for payload in payloads]
    ids = {int(ref) if ref.isdigit() else 0 for ref in refs if ref}
    found = set(PaymentPlan.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else ()
    for ref in refs:
        if ref and (int(ref) if ref.isdigit() else 0) not in found:
            raise DomainError(f"Payment plan {ref} does not exist.")
    return [
        {
            k: payload[k]
            for k in ("plan", "invoice", "instalments", "schedule", "draft")
            if k in payload
        }
        for payload in payloads
    ]


def _plan_of(item) -> PaymentPlan | None:
    return PaymentPlan.objects.select_for_update().filter(review_item_id=item.pk).first()


def recheck(item) -> str | None:
    plan = PaymentPlan.objects.filter(review_item_id=item.pk).first()
    if plan is None:
        return "the plan this offer was for no longer exists"
    if plan.status != P.PROPOSED:
        return f"the plan is {plan.get_status_display().lower()}"
    invoice = ImisInvoice.objects.filter(imis_id=plan.invoice_id).first()
    if invoice is None or not invoice.is_open or (invoice.balance or 0) <= 0:
        return "the invoice is paid or closed"
    if invoice.balance != plan.balance:
        return (
            f"the balance is now {format_money(_owed(invoice))}, not the plan's "
            f"{format_money(plan.balance)}; change the plan"
        )
    return None


def plan_url(token: str) -> str:
    return absolute_url(reverse("dues:dunning:member_plan", kwargs={"token": token}))


def effect(item) -> dict:
    """Offer the approved plan: a signed single-use link bound to the member and the plan, sent
    in the drafted message (to the address in the records)."""
    from reviews.communications import communication_send, recipient_for

    plan = _plan_of(item)
    if plan is None:
        raise DomainError("The plan of this offer no longer exists.")
    if plan.status != P.PROPOSED:
        return {"plan": plan.pk, "status": plan.status}
    token = link_issue(
        purpose="plan",
        party_id=plan.party_id,
        subject=f"plan:{plan.pk}",
        ttl=timedelta(days=LINK_DAYS),
        single_use=True,
        issued_by=item.decided_by,
    )
    link = link_resolve(token=token, purpose="plan")
    transition(plan, P.OFFERED, subject=f"Plan {plan.pk}")
    plan.link_id = link.pk
    plan.save(update_fields=["status", "link_id", "updated_at"])
    draft = item.payload["draft"]
    expires = timezone.localdate(link.expires_at).isoformat()
    body = (
        f"{draft['body']}\n\nSee the schedule and accept it here (this link is yours alone and "
        f"works until {expires}): {plan_url(token)}"
    )
    comm = communication_send(
        key=f"plan-offer-{plan.pk}-{item.effect_key}",
        member_id=plan.party_id,
        to_address=recipient_for(plan.party_id, "email"),
        subject=draft.get("subject", ""),
        body=body,
        channel="email",
        purpose="payment_plan",
        item=item,
        actor=item.decided_by,
        auto=item.decided_by_policy,
    )
    plan_audit(plan, "plan.offered", "offered to the member by a signed link", link=link.pk)
    return {"plan": plan.pk, "link": link.pk, "communication": comm.pk}


# --- the member's acceptance ---------------------------------------------------------------------


def plan_for_link(link) -> PaymentPlan | None:
    """The plan a link opens: bound to its subject and its member, never another's."""
    subject = str(link.subject or "")
    ref = subject.removeprefix("plan:")
    if not subject.startswith("plan:") or not ref.isdigit():
        return None
    return PaymentPlan.objects.filter(pk=int(ref), party_id=link.party_id).first()


@transaction.atomic
def plan_accept(*, link, client_ip: str = "") -> PaymentPlan:
    """The member accepts the plan their link opens: once (the link is used up), recorded,
    audited, and noted in iMIS (PartyNote and AI_Audit_Log)."""
    from common.links import link_consume

    plan = plan_for_link(link)
    if plan is None:
        raise DomainError("This plan is no longer available.")
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    link_consume(link=link)
    transition(plan, P.ACTIVE, subject=f"Plan {plan.pk}")
    plan.accepted_at = timezone.now()
    plan.save(update_fields=["status", "accepted_at", "updated_at"])
    rows = list(plan.instalments.values_list("due_on", "amount"))
    text = (
        f"Payment plan {plan.pk} accepted by the member for invoice {plan.invoice_id}: "
        f"{len(rows)} instalments, {schedule_text(rows)}."
    )
    written = outbox_enqueue_many(
        [
            (
                writes.party_note,
                f"plan {plan.pk} accepted",
                {"party_id": plan.party_id, "text": text, "purpose": "AI"},
            ),
            (
                writes.audit_log,
                f"plan {plan.pk} accepted",
                {
                    "action": "dues.payment_plan:accepted",
                    "actor": f"member {plan.party_id}",
                    "review_item_id": str(plan.review_item_id or ""),
                    "summary": text,
                    "created_on": plan.accepted_at,
                    "party_id": plan.party_id,
                },
            ),
        ]
    )
    audit_record(
        action="plan.accepted",
        summary=f"Plan {plan.pk}, invoice {plan.invoice_id}: accepted by the member",
        actor_name=f"member {plan.party_id}",
        object_type="payment_plan",
        object_id=plan.pk,
        member_id=plan.party_id,
        data={"ip": client_ip, "outbox": [w.reference for w in written]},
    )
    return plan


# --- staff changes ------------------------------------------------------------------------------


@transaction.atomic
def plan_change(*, plan_id: int, instalments: int, first_due: date, by) -> ReviewItem:
    """Change a plan not yet accepted: a new schedule, its old link revoked and its old offer
    withdrawn, and a new offer filed for someone else to approve."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan_id)
    if plan.status not in (P.PROPOSED, P.OFFERED):
        raise DomainError(
            f"Plan {plan.pk} is {plan.get_status_display().lower()}; only a plan not yet "
            "accepted can be changed (cancel it and offer a new one)."
        )
    invoice = _open_invoice(plan.invoice_id)
    rows = schedule_split(_owed(invoice), instalments, first_due)
    before = schedule_text(plan.instalments.values_list("due_on", "amount"))
    links_revoke_for(purpose="plan", party_id=plan.party_id, subject=f"plan:{plan.pk}", by=by)
    if plan.review_item_id:
        review_item_close(
            item_id=plan.review_item_id, to="stale", reason="the plan was changed", actor=by
        )
    if plan.status == P.OFFERED:
        transition(plan, P.PROPOSED, subject=f"Plan {plan.pk}")
    plan.balance = _owed(invoice)
    plan.last_edited_by = by
    plan.save()
    _instalments_write(plan, rows)
    proposal = plan_offer_proposal(
        invoice_id=plan.invoice_id,
        party_id=plan.party_id,
        balance=plan.balance,
        instalments=instalments,
        reason=f"Changed by {by.get_username()}",
        today=first_due - timedelta(days=14),
        proposed_by=by,
    )
    proposal.pop("_rows"), proposal.pop("_reason")
    proposal["payload"]["plan"] = str(plan.pk)
    version = ReviewItem.objects.filter(dedupe_key__startswith=f"plan-offer:{plan.pk}:").count()
    proposal["dedupe_key"] = f"plan-offer:{plan.pk}:{version + 1}"
    item = review_items_propose_many(kind=PLAN_KIND, proposals=[proposal])[0]
    plan.review_item = item
    plan.save(update_fields=["review_item", "updated_at"])
    plan_audit(
        plan, "plan.changed", "schedule changed", actor=by, before=before, after=schedule_text(rows)
    )
    return item


@transaction.atomic
def plan_cancel(*, plan_id: int, by, reason: str) -> PaymentPlan:
    plan = PaymentPlan.objects.select_for_update().get(pk=plan_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say why the plan is cancelled; the member's record keeps it.")
    transition(plan, P.CANCELLED, subject=f"Plan {plan.pk}")
    plan.last_edited_by = by
    plan.save(update_fields=["status", "last_edited_by", "updated_at"])
    links_revoke_for(purpose="plan", party_id=plan.party_id, subject=f"plan:{plan.pk}", by=by)
    if plan.review_item_id:
        review_item_close(
            item_id=plan.review_item_id, to="stale", reason="the plan was cancelled", actor=by
        )
    outbox_enqueue_many(
        [
            (
                writes.party_note,
                f"plan {plan.pk} cancelled",
                {
                    "party_id": plan.party_id,
                    "text": f"Payment plan {plan.pk} for invoice {plan.invoice_id} cancelled: "
                    f"{reason[:200]}",
                    "purpose": "AI",
                },
            )
        ]
    )
    plan_audit(plan, "plan.cancelled", reason[:200], actor=by)
    return plan


def plans_for_invoice(invoice_id: str) -> list[PaymentPlan]:
    return list(
        PaymentPlan.objects.filter(invoice_id=invoice_id)
        .prefetch_related("instalments")
        .order_by("-created_at")
    )


def portal_url() -> str:
    return settings.DRAFTING_PORTAL_URL
