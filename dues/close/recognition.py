"""Revenue recognition of deferred dues: each dues invoice's schedule, the events that re-shape
it from their date, and the revenue journal entries each event and each month's recognition make.

A schedule's ``slices`` say how much of the invoice's deferred revenue is recognised in each
month. An event (a deferral, a credit memo, a refund, a cancellation, a tier change) keeps the
slices of the months before the month it counts in, and spreads what remains (plus or minus the
event's amount) over the rest of the term by the schedule's method, through
``common.money.allocate`` so the slices always sum exactly to what was deferred. An event dated
in a month already recognised counts in the first month not yet recognised: corrections go into
the open period.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.bulk import rows_update
from common.errors import DomainError
from common.money import ZERO, allocate, to_money
from dues.billing.calculator import add_months
from dues.ledger import accounts as acct
from dues.models import (
    AccountingPeriod,
    RecognitionRun,
    RevenueEntry,
    RevenueEvent,
    RevenueLine,
    RevenueSchedule,
)

Kind = RevenueEvent.Kind


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return add_months(month_start(day), 1)


def parse_period(text: str) -> date:
    """``YYYY-MM`` -> the first day of that month; DomainError saying what to write."""
    try:
        year, month = (int(part) for part in str(text).strip().split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise DomainError(f"“{text}” is not a month; write it like 2026-11.") from None


@lru_cache(maxsize=4096)
def _weights(begin: date, end: date, method: str, start: date) -> tuple[tuple[str, Decimal], ...]:
    """How the part of the term [max(begin, start), end] is spread over calendar months.

    By months: each monthly period of the term (from its begin day) weighs one, in the month
    it begins. By days: each day weighs one, in its month."""
    weights: dict[str, Decimal] = {}
    if method == RevenueSchedule.Method.MONTHS:
        k = 0
        while (begins := add_months(begin, k)) <= end:
            if begins >= start:
                weights[month_key(begins)] = weights.get(month_key(begins), ZERO) + 1
            k += 1
        return tuple(sorted(weights.items()))
    day = max(begin, start)
    while day <= end:
        last = min(end, next_month(day) - timedelta(days=1))
        weights[month_key(day)] = Decimal((last - day).days + 1)
        day = last + timedelta(days=1)
    return tuple(sorted(weights.items()))


@lru_cache(maxsize=16384)
def _spread(target: Decimal, weights: tuple[tuple[str, Decimal], ...]) -> tuple:
    """``target`` over the weighted months, to the cent (many invoices share a term and price)."""
    keys = [m for m, _ in weights]
    if not target:
        return tuple(zip(keys, [ZERO] * len(keys), strict=True))
    return tuple(zip(keys, allocate(target, [w for _, w in weights]), strict=True))


@dataclass(frozen=True)
class Reshaped:
    slices: dict[str, str]
    applied: Decimal  # the change to deferred revenue
    excess: Decimal  # taken from revenue already recognised (a credit larger than what is left)
    end: date


def reshape(
    *,
    slices: dict[str, str],
    begin: date,
    end: date,
    method: str,
    period: date,
    delta: Decimal,
    cancel_on: date | None = None,
) -> Reshaped:
    """A schedule's slices after an event counting in ``period`` that changes deferred revenue
    by ``delta`` (and, for a cancellation, ends the term the day before ``cancel_on``)."""
    key = month_key(period)
    kept = {m: Decimal(v) for m, v in slices.items() if m < key}
    remaining = sum((Decimal(v) for m, v in slices.items() if m >= key), ZERO)
    new_end = end if cancel_on is None else max(begin - timedelta(days=1), cancel_on - timedelta(1))
    target = remaining + delta
    applied, excess = delta, ZERO
    if target < 0:
        applied, excess, target = -remaining, target, ZERO
    weights = _weights(begin, new_end, method, period) if new_end >= begin else ()
    if not weights:  # nothing of the term left from this month: recognised in it
        weights = ((key, Decimal(1)),)
    for m, amount in _spread(target, weights):
        kept[m] = kept.get(m, ZERO) + amount
    return Reshaped(
        {m: str(v) for m, v in sorted(kept.items()) if v}, applied, excess, max(new_end, begin)
    )


# --- settings and the open period -----------------------------------------------------------


def basis() -> str:
    value = settings.REVENUE_ACCOUNTING
    if value not in RevenueSchedule.Basis.values:
        raise DomainError(f"REVENUE_ACCOUNTING is “{value}”; set it to accrual or cash.")
    return value


def method() -> str:
    value = settings.REVENUE_RECOGNITION
    if value not in RevenueSchedule.Method.values:
        raise DomainError(f"REVENUE_RECOGNITION is “{value}”; set it to months or days.")
    return value


def open_period() -> date | None:
    """The first month an event may still count in: after the last month recognised and after
    the last month closed (the close's period lock refuses entries dated in a closed month;
    corrections go to the open period). None before either."""
    last = RecognitionRun.objects.order_by("-period").values_list("period", flat=True).first()
    closed = (
        AccountingPeriod.objects.filter(status=AccountingPeriod.Status.CLOSED)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    latest = max((d for d in (last, closed) if d is not None), default=None)
    return next_month(latest) if latest else None


def counting_period(on: date, opened: date | None) -> date:
    period = month_start(on)
    return max(period, opened) if opened else period


# --- the revenue journal --------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    kind: str
    period: date
    key: str
    memo: str
    lines: list[tuple[str, Decimal]]


def entries_record(postings: list[Posting], *, actor_name: str, review_item=None) -> int:
    """Append balanced revenue entries (lines of zero dropped); a key already recorded is
    skipped, so an event or an approval carried out twice records once."""
    fresh = []
    known = set(
        RevenueEntry.objects.filter(key__in=[p.key for p in postings]).values_list("key", flat=1)
    )
    for posting in postings:
        lines = [(a, v) for a, v in posting.lines if v]
        if not lines:  # an event that moved nothing (a cancellation keeping what was paid)
            continue
        total = sum((v for _, v in lines), ZERO)
        if len(lines) < 2 or total != 0:
            raise DomainError(f"Revenue entry {posting.key} does not balance: it sums to {total}.")
        if posting.key not in known:
            known.add(posting.key)
            fresh.append((posting, lines))
    entries = RevenueEntry.objects.bulk_create(
        [
            RevenueEntry(
                kind=p.kind,
                period=p.period,
                key=p.key,
                memo=p.memo[:300],
                actor_name=actor_name[:150],
                review_item=review_item,
            )
            for p, _ in fresh
        ],
        batch_size=2000,
    )
    RevenueLine.objects.bulk_create(
        [
            RevenueLine(entry=entry, account=account, amount=amount)
            for entry, (_, lines) in zip(entries, fresh, strict=True)
            for account, amount in lines
        ],
        batch_size=5000,
    )
    return len(entries)


COUNTER = {
    Kind.CREDIT_MEMO: acct.CREDIT_MEMOS,
    Kind.CANCELLATION: acct.CREDIT_MEMOS,
    Kind.TIER_CHANGE: acct.CREDIT_MEMOS,
    Kind.REFUND: acct.REFUNDS_PAYABLE,
}


def _event_lines(schedule: RevenueSchedule, kind: str, applied: Decimal, excess: Decimal):
    """Balanced lines of one event: more deferred revenue is owed by the member (accrual) or
    was paid (cash); less is credited, refunded or written off."""
    source = acct.CASH if schedule.basis == RevenueSchedule.Basis.CASH else acct.RECEIVABLE
    if applied >= 0 and excess == 0:
        return [(source, applied), (acct.DEFERRED_DUES_REVENUE, -applied)]
    counter = COUNTER.get(kind, acct.CREDIT_MEMOS)
    return [
        (acct.DEFERRED_DUES_REVENUE, -applied),
        (schedule.revenue_account, -excess),
        (counter, applied + excess),
    ]


# --- schedules and events -------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTerm:
    """What a schedule is opened from: a dues invoice's dues line and its term."""

    invoice_id: str
    member_id: str
    item_code: str
    begin: date
    end: date
    invoice_number: str = ""


@dataclass(frozen=True)
class Change:
    """One event to apply to the schedule of ``invoice_id``."""

    invoice_id: str
    kind: str
    on: date
    amount: Decimal  # signed change of deferred revenue; a cancellation's credit (0: kept)
    reference: str
    cancel_on: date | None = None


def _check_terms(terms: list[InvoiceTerm]) -> None:
    for term in terms:
        if term.end < term.begin:
            raise DomainError(
                f"Invoice {term.invoice_number or term.invoice_id}: its term ends "
                f"{term.end} before it begins {term.begin}; correct the dues line in iMIS."
            )


def _new_schedule(term: InvoiceTerm, how: str, spread: str) -> RevenueSchedule:
    return RevenueSchedule(
        invoice_id=term.invoice_id,
        invoice_number=term.invoice_number,
        member_id=term.member_id,
        item_code=term.item_code,
        revenue_account=acct.dues_revenue_account(term.item_code),
        term_begin=term.begin,
        term_end=term.end,
        basis=how,
        method=spread,
    )


def copy_insert(objs: list, *, assign_ids: bool = False) -> None:
    """Insert many rows of one model with COPY: at a hundred thousand rows, building and
    escaping ``bulk_create``'s arrays costs more than the insert. ``assign_ids`` draws the
    primary keys from the table's sequence first, so the objects can be referred to after."""
    if not objs:
        return
    meta = type(objs[0])._meta
    quote = connection.ops.quote_name
    if assign_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [meta.db_table, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    fields = [f for f in meta.concrete_fields if not (f.primary_key and not assign_ids)]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="copy_insert")
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


def schedules_open(terms: Iterable[InvoiceTerm]) -> int:
    """Open a schedule for each invoice not yet scheduled (under today's settings)."""
    terms = list(terms)
    _check_terms(terms)
    how, spread = basis(), method()
    made = RevenueSchedule.objects.bulk_create(
        [_new_schedule(t, how, spread) for t in terms], batch_size=2000, ignore_conflicts=True
    )
    return len(made)


@transaction.atomic
def revenue_events_apply(
    *, changes: list[Change], actor_name: str, new_terms: Iterable[InvoiceTerm] = ()
) -> int:
    """Apply events to their schedules in date order, each once (by reference), writing the
    event rows, the re-shaped slices and the revenue journal's entries together.

    ``new_terms`` open schedules in the same pass (an invoice already scheduled keeps its own):
    a month's new invoices are built with their deferrals in one insert, not inserted and then
    updated."""
    new_terms = list(new_terms)
    _check_terms(new_terms)
    changes = sorted(changes, key=lambda c: (c.on, c.reference))
    seen = set(
        RevenueEvent.objects.filter(reference__in=[c.reference for c in changes]).values_list(
            "reference", flat=True
        )
    )
    changes = [c for c in changes if c.reference not in seen]
    known = set(
        RevenueSchedule.objects.filter(
            invoice_id__in=[t.invoice_id for t in new_terms]
        ).values_list("invoice_id", flat=True)
    )
    fresh = {
        t.invoice_id: _new_schedule(t, basis(), method())
        for t in new_terms
        if t.invoice_id not in known
    }
    if not changes:
        copy_insert(list(fresh.values()), assign_ids=True)
        return 0
    wanted = {c.invoice_id for c in changes} - set(fresh)
    schedules = {
        s.invoice_id: s
        for s in RevenueSchedule.objects.select_for_update()
        .filter(invoice_id__in=wanted)
        .order_by("id")
    }
    existing = list(schedules.values())
    schedules.update(fresh)
    opened, now = open_period(), timezone.now()
    events, grouped = [], defaultdict(lambda: defaultdict(lambda: ZERO))
    for change in changes:
        schedule = schedules.get(change.invoice_id)
        if schedule is None:
            raise DomainError(
                f"Invoice {change.invoice_id} has no revenue schedule; open it first."
            )
        if change.reference in seen:
            continue
        seen.add(change.reference)
        period = counting_period(change.on, opened)
        result = reshape(
            slices=schedule.slices,
            begin=schedule.term_begin,
            end=schedule.term_end,
            method=schedule.method,
            period=period,
            delta=to_money(change.amount),
            cancel_on=change.cancel_on,
        )
        schedule.slices, schedule.term_end = result.slices, result.end
        schedule.deferred += result.applied
        schedule.updated_at = now
        if change.cancel_on:
            schedule.cancelled_on = change.cancel_on
        events.append(
            RevenueEvent(
                schedule=schedule,
                kind=change.kind,
                on=change.on,
                period=period,
                amount=result.applied,
                excess=result.excess,
                reference=change.reference,
                actor_name=actor_name[:150],
            )
        )
        # One journal entry per month, kind and account pair: a batch of a hundred thousand
        # deferrals is a handful of entries, each still balanced.
        entry_kind = RevenueEntry.Kind.DEFER if change.kind == Kind.DEFER else "adjust"
        for account, amount in _event_lines(schedule, change.kind, result.applied, result.excess):
            grouped[(period, entry_kind, change.kind, schedule.basis)][account] += amount
    rows_update(existing, ["slices", "term_end", "deferred", "cancelled_on", "updated_at"])
    copy_insert(list(fresh.values()), assign_ids=True)
    copy_insert(events, assign_ids=True)
    first, last = events[0].reference, events[-1].reference
    postings = [
        Posting(
            kind=entry_kind,
            period=period,
            key=f"{kind}:{period:%Y-%m}:{how}:{first}..{last}:{len(events)}"[:160],
            memo=f"{Kind(kind).label}: {len(events)} event(s), {first} .. {last}",
            lines=sorted(lines.items()),
        )
        for (period, entry_kind, kind, how), lines in grouped.items()
    ]
    entries_record(postings, actor_name=actor_name)
    return len(events)
