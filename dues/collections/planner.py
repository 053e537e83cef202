"""The dunning planner: which step of the cadence is due today for each open invoice, and filing
each due step as a review item with a drafted message, exactly once.

"Exactly once" is held twice over: per-invoice advisory locks taken in a fixed order while a
batch is filed (a second planner waits, then finds the step filed), and the database's unique
constraints on ``DunningAction`` (each step once per invoice, one open step per invoice).
"""

import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common.money import format_money
from dues.collections import consent, pauses
from dues.collections.cadence import DUNNING_KIND, step_segment
from dues.collections.selectors import invoice_risk
from dues.models import DunningAction, DunningChannel, DunningStep, PauseReason, StepMode
from imis_client.models import ImisInvoice, ImisParty
from reviews.models import ReviewItem
from reviews.services import review_items_propose_many

BATCH = 200
# Past the last step, an invoice stays in the cadence this many days (its last step can still
# be filed after a pause ends); beyond it a person decides what comes next.
TAIL_DAYS = 45
FINISHED = [
    ReviewItem.Status.REJECTED,
    ReviewItem.Status.EXPIRED,
    ReviewItem.Status.STALE,
    ReviewItem.Status.OBSERVED,
    ReviewItem.Status.REVERSED,
    ReviewItem.Status.DONE,
]


@dataclass(frozen=True)
class Due:
    """A step due today for one invoice."""

    invoice_id: str
    number: str
    party_id: str
    balance: Decimal
    due_date: date
    step: DunningStep
    band: str


def risk_bands(invoice_ids: list[str]) -> dict[str, str]:
    """{invoice_id: band} from the late-payment scores, for the invoices scored."""
    return {i: risk.band for i, risk in invoice_risk(invoice_ids).items() if risk.band}


def step_of_day(active: list[DunningStep], days: int) -> DunningStep | None:
    """The cadence's position ``days`` after the due date: the latest step already begun."""
    current = None
    for step in active:  # ordered by offset
        if step.offset_days <= days:
            current = step
    return current


def next_step(active: list[DunningStep], filed: set[int], due_date: date, today: date):
    """(step, date) of the next step not yet filed from today's position on, or None."""
    current = step_of_day(active, (today - due_date).days)
    for step in active:
        if step.pk in filed or (current is not None and step.offset_days < current.offset_days):
            continue
        return step, due_date + timedelta(days=step.offset_days)
    return None


def applies(step: DunningStep, balance: Decimal, band: str) -> bool:
    if balance < step.min_amount:
        return False
    if not step.risk_bands or band in step.risk_bands:
        return True
    return step.or_amount_at_least is not None and balance >= step.or_amount_at_least


def actions_close_finished() -> int:
    """Steps whose review item ended without being carried out (rejected, expired, stale,
    observed) no longer hold their invoice: the next step may be filed."""
    finished = DunningAction.objects.filter(is_open=True, review_item__status__in=FINISHED)
    return finished.update(is_open=False, status=DunningAction.Status.CLOSED)


def dunning_due(*, today: date | None = None, sync_pauses: bool = True) -> dict:
    """The steps due today, after pauses: {"due": [Due], "paused": n, "counts": {...}}."""
    today = today or timezone.localdate()
    active = list(DunningStep.objects.filter(active=True).order_by("offset_days", "code"))
    if not active:
        return {"due": [], "paused": 0, "considered": 0, "counts": {}}
    first, last = active[0].offset_days, active[-1].offset_days
    rows = list(
        ImisInvoice.objects.filter(
            is_open=True,
            balance__gt=0,
            due_date__lte=today - timedelta(days=first),
            due_date__gte=today - timedelta(days=last + TAIL_DAYS),
        ).values_list("imis_id", "number", "bill_to_id", "sold_to_id", "balance", "due_date")
    )
    filed: dict[str, tuple[int, bool]] = {}  # invoice -> (latest offset filed, any open)
    ids = [r[0] for r in rows]
    for invoice_id, offset, is_open in DunningAction.objects.filter(
        invoice_id__in=ids, plan_instalment__isnull=True
    ).values_list("invoice_id", "step__offset_days", "is_open"):
        latest, any_open = filed.get(invoice_id, (-10_000, False))
        filed[invoice_id] = (max(latest, offset), any_open or is_open)
    open_held = set(
        DunningAction.objects.filter(invoice_id__in=ids, is_open=True).values_list(
            "invoice_id", flat=True
        )
    )
    bands = risk_bands(ids)
    candidates: list[Due] = []
    for invoice_id, number, bill_to, sold_to, balance, due_date in rows:
        if due_date is None or balance is None:  # the query excludes both; for the types
            continue
        step = step_of_day(active, (today - due_date).days)
        if step is None or invoice_id in open_held:
            continue
        latest, _ = filed.get(invoice_id, (-10_000, False))
        if latest >= step.offset_days:
            continue
        band = bands.get(invoice_id, "")
        if not applies(step, balance, band):
            continue
        party = bill_to or sold_to
        if party:
            candidates.append(
                Due(invoice_id, number or invoice_id, party, balance, due_date, step, band)
            )
    sms = [d.party_id for d in candidates if d.step.channel == DunningChannel.SMS]
    mobiles = set(
        ImisParty.objects.filter(imis_id__in=sms)
        .exclude(phone="")
        .values_list("imis_id", flat=True)
    )
    candidates = [
        d for d in candidates if d.step.channel != DunningChannel.SMS or d.party_id in mobiles
    ]
    current = pauses.pauses_now([d.invoice_id for d in candidates])
    for channel in (DunningChannel.EMAIL, DunningChannel.SMS):
        out = consent.opted_out(
            {d.party_id for d in candidates if d.step.channel == channel}, channel
        )
        for d in candidates:
            if d.step.channel == channel and d.party_id in out:
                current.setdefault(d.invoice_id, []).append(
                    (PauseReason.OPT_OUT, f"the member opted out of {channel}")
                )
    if sync_pauses:
        held = set(
            pauses.DunningPause.objects.filter(ended_at__isnull=True).values_list(
                "invoice_id", flat=True
            )
        )
        pauses.pauses_sync(current=current, scope={d.invoice_id for d in candidates} | held)
    due = [d for d in candidates if d.invoice_id not in current]
    counts: dict[str, int] = {}
    for d in due:
        counts[d.step.code] = counts.get(d.step.code, 0) + 1
    return {"due": due, "paused": len(current), "considered": len(rows), "counts": counts}


def _lock_invoices(invoice_ids: list[str]) -> None:
    """Per-invoice advisory locks, in sorted order so two planners never deadlock."""
    keys = sorted({zlib.crc32(f"dunning:{i}".encode()) for i in invoice_ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(2017, k::int) FROM unnest(%s::bigint[]) AS k ORDER BY k",
            [[k - 2**31 for k in keys]],
        )


def _still_due(batch: list[Due], instalments: dict | None = None) -> list[Due]:
    """Read again under the locks: what another planner filed meanwhile is not due."""
    ids = [d.invoice_id for d in batch]
    if instalments is not None:  # a plan's own reminders: once per instalment, one open step
        busy = set(
            DunningAction.objects.filter(
                Q(invoice_id__in=ids, is_open=True)
                | Q(plan_instalment__in=[i.pk for i in instalments.values()])
            ).values_list("invoice_id", flat=True)
        )
        return [d for d in batch if d.invoice_id not in busy]
    taken = DunningAction.objects.filter(invoice_id__in=ids).filter(
        Q(is_open=True) | Q(plan_instalment__isnull=True)
    )
    open_ids: set[str] = set()
    filed: dict[str, int] = {}
    for invoice_id, offset, is_open in taken.values_list(
        "invoice_id", "step__offset_days", "is_open"
    ):
        if is_open:
            open_ids.add(invoice_id)
        filed[invoice_id] = max(filed.get(invoice_id, -10_000), offset)
    return [
        d
        for d in batch
        if d.invoice_id not in open_ids and filed.get(d.invoice_id, -10_000) < d.step.offset_days
    ]


def _proposal(d: Due, today: date, instalment=None, history: str = "") -> tuple[str, dict]:
    """(kind, proposal) of one due step, its message drafted (a call's payment ``history``
    given, read with the batch's)."""
    from dues.collections import plans
    from reviews.drafting import draft_message

    days = (today - d.due_date).days
    when = f"{abs(days)} days {'after' if days >= 0 else 'before'} the due date"
    base = {
        "member_id": d.party_id,
        "invoice_id": d.invoice_id,
        "object_ref": f"invoice {d.invoice_id}",
        "amount": d.balance,
        "proposed_by_job": "dunning planner",
        "evidence": [
            {"label": "Balance", "value": format_money(d.balance)},
            {"label": "Due", "value": f"{d.due_date.isoformat()} ({when})"},
            {"label": "Risk band", "value": d.band or "not scored"},
        ],
    }
    if instalment is None and d.step.purpose == "payment_plan":
        return plans.PLAN_KIND, plans.plan_offer_proposal(
            invoice_id=d.invoice_id,
            party_id=d.party_id,
            balance=d.balance,
            instalments=None,
            reason=f"Cadence step {d.step.label}",
            today=today,
            base=base,
            segment=step_segment(d.step.code),
        )
    payload = {
        "invoice": d.invoice_id,
        "step": d.step.code,
        "channel": d.step.channel,
    }
    if d.step.channel == DunningChannel.CALL:
        payload["history"] = history
    else:
        draft = draft_message(
            purpose=d.step.purpose,
            member_id=d.party_id,
            channel=d.step.channel,
            invoice_id=d.invoice_id,
            auto=d.step.mode == StepMode.AUTO,
        )
        payload["draft"] = draft.as_payload()
    summary = f"Day {d.step.offset_days:+d} of the cadence ({d.step.get_channel_display()})"
    dedupe_key = f"dunning:{d.invoice_id}:{d.step.code}"
    if instalment is not None:
        payload["instalment"] = str(instalment.number)
        summary = (
            f"Instalment {instalment.number} of plan {instalment.plan_id}, "
            f"{format_money(instalment.amount)} due {instalment.due_on.isoformat()}, is missed"
        )
        dedupe_key = f"{dedupe_key}:{instalment.pk}"
    return DUNNING_KIND, {
        **base,
        "title": f"{d.step.label}: invoice {d.number}, {format_money(d.balance)}",
        "summary": summary,
        "payload": payload,
        "segment": step_segment(d.step.code),
        "dedupe_key": dedupe_key,
        "priority": 2 if d.band == "high" else 1,
    }


def payment_histories(party_ids: list[str]) -> dict[str, str]:
    """A short payment-history summary per member for a staff call: each member's six latest
    invoices, paid or not, read for all of them at once."""
    parties = set(party_ids)
    rows: dict[str, list[ImisInvoice]] = {p: [] for p in parties}
    if parties:
        invoices = ImisInvoice.objects.filter(
            Q(bill_to_id__in=parties) | Q(sold_to_id__in=parties)
        ).order_by("-invoice_date")
        for inv in invoices.defer("raw"):
            for party in {inv.bill_to_id, inv.sold_to_id} & parties:
                if len(rows[party]) < 6:
                    rows[party].append(inv)
    return {party: _history_text(found) for party, found in rows.items()}


def _history_text(invoices: list[ImisInvoice]) -> str:
    lines = []
    for inv in invoices:
        state = "open" if inv.is_open else "paid"
        lines.append(
            f"{inv.number or inv.imis_id} ({inv.invoice_date or '-'}): "
            f"{format_money(inv.amount or Decimal(0))}, balance "
            f"{format_money(inv.balance or Decimal(0))}, {state}"
        )
    return "; ".join(lines) or "no invoices in the mirror"


def _file_batch(batch: list[Due], today: date, instalments: dict | None = None) -> int:
    """File one batch under its invoices' locks. ``instalments``: {invoice_id: PlanInstalment}
    when the batch is a plan's own reminders."""
    instalments_of = instalments or {}
    from reviews.drafting import drafts_batch
    from reviews.drafting.guardrails import rules_batch

    # Drafted outside the locks, the batch's facts, templates and guardrail rules read once;
    # the rules serve the re-check of each draft as it is filed too.
    calls = [d.party_id for d in batch if d.step.channel == DunningChannel.CALL]
    histories = payment_histories(calls) if calls else {}
    with rules_batch():
        with drafts_batch([(d.party_id, d.invoice_id) for d in batch]):
            drafted = [
                (
                    d,
                    *_proposal(
                        d,
                        today,
                        instalments_of.get(d.invoice_id),
                        histories.get(d.party_id, ""),
                    ),
                )
                for d in batch
            ]
        return _file_drafted(batch, drafted, today, instalments)


def _file_drafted(batch: list[Due], drafted: list, today: date, instalments) -> int:
    instalments_of = instalments or {}
    with transaction.atomic():
        _lock_invoices([d.invoice_id for d in batch])
        still = {d.invoice_id for d in _still_due(batch, instalments)}
        drafted = [row for row in drafted if row[0].invoice_id in still]
        if not drafted:
            return 0
        by_kind: dict[str, list[tuple[Due, dict]]] = {}
        for d, kind, proposal in drafted:
            by_kind.setdefault(kind, []).append((d, proposal))
        actions = []
        for kind, rows in by_kind.items():
            proposals = [p for _, p in rows]
            if kind == DUNNING_KIND:
                items = review_items_propose_many(kind=kind, proposals=proposals)
            else:
                from dues.collections import plans

                items = plans.plan_offers_file(proposals)
            for (d, _), item in zip(rows, items, strict=True):
                finished = item.status == ReviewItem.Status.OBSERVED
                actions.append(
                    DunningAction(
                        invoice_id=d.invoice_id,
                        party_id=d.party_id,
                        step=d.step,
                        plan_instalment=instalments_of.get(d.invoice_id),
                        planned_for=today,
                        balance=d.balance,
                        band=d.band,
                        review_item=item,
                        is_open=not finished,
                        status=DunningAction.Status.CLOSED
                        if finished
                        else DunningAction.Status.FILED,
                        outcome="observed only" if finished else "",
                    )
                )
        DunningAction.objects.bulk_create(actions)
    return len(actions)


def dunning_file(*, due: list, today: date | None = None, progress=None) -> dict:
    """File each due step (``dunning_due``'s list), in batches; returns counts."""
    today = today or timezone.localdate()
    filed = 0
    if progress is not None:
        progress.stage("Filing the day's steps", total=len(due))
    for start in range(0, len(due), BATCH):
        batch = due[start : start + BATCH]
        filed += _file_batch(batch, today)
        if progress is not None:
            progress.advance(len(batch))
    return {"filed": filed, "skipped": len(due) - filed}


def dunning_run(*, today: date | None = None, progress=None) -> dict:
    """The day's run: close finished steps, find what is due, file it (and plan reminders)."""
    from dues.collections import plan_progress

    today = today or timezone.localdate()
    closed = actions_close_finished()
    plan_progress.plans_refresh(today=today)
    found = dunning_due(today=today)
    result = dunning_file(due=found["due"], today=today, progress=progress)
    reminders = plan_progress.instalment_reminders_file(today=today)
    return {
        "date": today.isoformat(),
        "considered": found["considered"],
        "due": len(found["due"]),
        "paused": found["paused"],
        "by_step": found["counts"],
        "closed": closed,
        "plan_reminders": reminders,
        **result,
    }
