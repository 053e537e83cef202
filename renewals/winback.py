"""Win-back proposals: members whose membership lapsed within the configured window get an offer
drafted from their history: rejoin with a first term prorated to their old anniversary, the
upcoming events of their chapter, and the benefits they used most."""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from common.errors import DomainError
from common.money import HALF_UP, format_money, to_money
from imis_client.models import ImisActivity, ImisEvent, ImisInvoice, ImisParty
from renewals import kinds
from renewals.conf import RenewalSettings
from renewals.feature_names import activity_slug
from renewals.models import Outreach, RenewalScore
from reviews.drafting import draft_message
from reviews.services import review_item_propose

OFFER_DAYS = 30


def prorated_first_term(dues: Decimal, paid_thru: date, today: date) -> tuple[Decimal, int, date]:
    """(amount, months, term end): from this month to the member's next anniversary."""
    end = paid_thru
    while end <= today:
        end = _add_years(end, 1)
    months = (end.year - today.year) * 12 + end.month - today.month + (1 if end.day >= 28 else 0)
    months = max(1, min(12, months))
    return to_money(dues * Decimal(months) / 12, rule=HALF_UP), months, end


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def lapsed_members(*, today: date, conf: RenewalSettings):
    """Members whose grace period ended within the win-back window and who have not rejoined."""
    latest = today - timedelta(days=conf.grace_days + 1)
    earliest = latest - timedelta(days=conf.winback_days)
    return (
        ImisParty.objects.filter(
            deleted_at__isnull=True,
            is_member=True,
            paid_thru__gte=earliest,
            paid_thru__lte=latest,
        )
        .exclude(status__startswith="D")
        .order_by("paid_thru", "imis_id")
    )


def propose_win_backs(*, today: date, conf: RenewalSettings, job: str = "") -> Counter:
    parties = [
        p
        for p in lapsed_members(today=today, conf=conf)
        if not Outreach.objects.filter(member_id=p.imis_id, term=p.paid_thru).exists()
    ]
    ids = [p.imis_id for p in parties]
    dues = _last_dues(ids)
    used = _benefits_used(ids, today)
    events = _upcoming_events({p.chapter for p in parties}, today)
    bands = dict(
        RenewalScore.objects.filter(member_id__in=ids)
        .order_by("member_id", "-scored_on", "-id")
        .distinct("member_id")
        .values_list("member_id", "band")
    )
    counts: Counter = Counter()
    for party in parties:
        if not party.email:
            counts["skipped: no e-mail address"] += 1
            continue
        try:
            with transaction.atomic():
                _propose(
                    party,
                    dues.get(party.imis_id),
                    used.get(party.imis_id, []),
                    events.get(party.chapter, []),
                    bands.get(party.imis_id, ""),
                    today=today,
                    job=job,
                )
        except DomainError as exc:
            counts[f"skipped: {exc}"[:120]] += 1
            continue
        counts["win_back"] += 1
    return counts


def _propose(party, dues, used, events, band, *, today, job) -> None:
    deadline = today + timedelta(days=OFFER_DAYS)
    lines, extra, amount = [], {"offer_deadline": (deadline, "renewals win-back policy")}, None
    if dues:
        amount, months, end = prorated_first_term(dues, party.paid_thru, today)
        saved = int((Decimal(12 - months) * 100 / 12).to_integral_value())
        if saved > 0:
            extra["offer_percent"] = (Decimal(saved), "renewals win-back proration")
        lines.append(
            f"Rejoin for {format_money(amount)}: a first term prorated to "
            f"{months} month{'s' if months != 1 else ''}, ending {end:%Y-%m-%d} "
            f"(full year {format_money(dues)})."
        )
    if events:
        named = [f"{e.name} on {timezone.localtime(e.starts_at):%Y-%m-%d}" for e in events]
        lines.append("Upcoming in their chapter: " + "; ".join(named) + ".")
    if used:
        lines.append("Used most: " + ", ".join(f"{words} ({n})" for words, n in used) + ".")
    draft = draft_message(
        purpose="win_back", member_id=party.imis_id, channel="email", extra_facts=extra
    )
    item = review_item_propose(
        kind=kinds.WIN_BACK,
        title=f"Win-back offer: {party.name}"[:200],
        payload={"draft": draft.as_payload(), "offer": " ".join(lines)},
        member_id=party.imis_id,
        object_ref=f"lapsed term to {party.paid_thru:%Y-%m-%d}",
        summary=f"{party.name} ({party.imis_id}), paid through {party.paid_thru:%Y-%m-%d}",
        evidence=[
            {"fact": line, "source": "iMIS mirror: invoices, events, activity"} for line in lines
        ],
        rationale="Lapsed within the win-back window",
        amount=amount,
        priority=10,
        proposed_by_job=job or "renewals win-back",
        segment=band,
        dedupe_key=f"renewal-winback:{party.imis_id}:{party.paid_thru.isoformat()}",
    )
    Outreach.objects.create(
        item=item,
        member_id=party.imis_id,
        term=party.paid_thru,
        band=band,
        group=Outreach.Group.WIN_BACK,
    )


def _last_dues(ids) -> dict[str, Decimal]:
    rows = (
        ImisInvoice.objects.filter(
            sold_to_id__in=ids,
            deleted_at__isnull=True,
            purpose__icontains="renew",
            amount__isnull=False,
        )
        .order_by("sold_to_id", "-invoice_date")
        .distinct("sold_to_id")
        .values_list("sold_to_id", "amount")
    )
    return dict(rows)


def _benefits_used(ids, today) -> dict[str, list[tuple[str, int]]]:
    from django.conf import settings

    since = timezone.make_aware(datetime.combine(today - timedelta(days=730), time.min))
    rows = (
        ImisActivity.objects.filter(
            party_id__in=ids,
            transaction_date__gte=since,
            activity_type__in=settings.RENEWALS_ENGAGEMENT_TYPES,
        )
        .values_list("party_id", "activity_type")
        .annotate(n=Sum("units"))
    )
    used = defaultdict(list)
    for party_id, activity_type, n in rows:
        used[party_id].append((activity_slug(activity_type)[1], int(n or 0)))
    return {k: sorted(v, key=lambda x: -x[1])[:3] for k, v in used.items()}


def _upcoming_events(chapters, today) -> dict[str, list]:
    start = timezone.make_aware(datetime.combine(today, time.min))
    events = defaultdict(list)
    for event in ImisEvent.objects.filter(
        chapter__in=chapters - {""}, starts_at__gte=start, deleted_at__isnull=True
    ).order_by("starts_at"):
        if len(events[event.chapter]) < 2:
            events[event.chapter].append(event)
    return events
