"""Reads over the mirror and the sync bookkeeping, for pages, the API and the other apps."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from imis_client import models as m
from imis_client.sync_entities import entities


@dataclass
class MemberFilters:
    q: str = ""
    customer_type: str = ""
    status: str = ""
    chapter: str = ""
    paid_thru_from: date | None = None
    paid_thru_to: date | None = None
    kind: str = ""  # "" | "person" | "organization"
    bad_dates: tuple[str, ...] = ()  # which of "from"/"to" could not be read as a date

    @classmethod
    def from_query(cls, get) -> "MemberFilters":
        """The filters of the Members page and API, from their query string."""
        dates: dict[str, date | None] = {}
        bad: list[str] = []
        for label, key in (("from", "paid_from"), ("to", "paid_to")):
            raw = get.get(key) or ""
            try:
                dates[key] = date.fromisoformat(raw) if raw else None
            except ValueError:
                dates[key], bad = None, [*bad, label]
        return cls(
            q=get.get("q", "")[:200],
            customer_type=get.get("type", ""),
            status=get.get("status", ""),
            chapter=get.get("chapter", ""),
            paid_thru_from=dates["paid_from"],
            paid_thru_to=dates["paid_to"],
            kind=get.get("kind", ""),
            bad_dates=tuple(bad),
        )


def member_search(filters: MemberFilters) -> QuerySet[m.ImisParty]:
    """Parties matching a search by name, iMIS id or email, and the page's filters."""
    queryset = m.ImisParty.objects.filter(deleted_at__isnull=True)
    q = filters.q.strip()
    if q:
        if q.isdigit():
            queryset = queryset.filter(Q(imis_id=q) | Q(name__icontains=q))
        elif "@" in q:
            queryset = queryset.filter(email__icontains=q)
        else:
            # Each word must appear somewhere in the name ("smith jo" finds "Jo Smith-Jones").
            for word in q.split():
                queryset = queryset.filter(name__icontains=word)
    if filters.customer_type:
        queryset = queryset.filter(customer_type=filters.customer_type)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.chapter:
        queryset = queryset.filter(chapter=filters.chapter)
    if filters.paid_thru_from:
        queryset = queryset.filter(paid_thru__gte=filters.paid_thru_from)
    if filters.paid_thru_to:
        queryset = queryset.filter(paid_thru__lte=filters.paid_thru_to)
    if filters.kind == "person":
        queryset = queryset.filter(is_organization=False)
    elif filters.kind == "organization":
        queryset = queryset.filter(is_organization=True)
    return queryset


def member_filter_choices() -> dict:
    parties = m.ImisParty.objects.filter(deleted_at__isnull=True)
    types = (
        parties.exclude(customer_type="")
        .values_list("customer_type", "customer_type_name")
        .distinct()
        .order_by("customer_type")
    )
    chapters = (
        parties.exclude(chapter="").values_list("chapter", flat=True).distinct().order_by("chapter")
    )
    return {"types": list(types), "chapters": list(chapters), "statuses": m.ImisParty.Status}


PAYMENT_ACTIVITY_TYPES = {"DUES", "ORDER", "GIFT", "PAYMENT"}


@dataclass
class MemberRecord:
    party: m.ImisParty
    organization: m.ImisParty | None
    employees: list
    subscriptions: list
    invoices: list
    registrations: list
    activities: list
    groups: list
    communications: list
    owner: m.ImisRelationshipOwner | None
    open_balance: object
    payments: list


def member_detail(imis_id: str, *, activity_limit: int = 200) -> MemberRecord | None:
    """Everything the mirror knows about one member, in a handful of queries."""
    party = m.ImisParty.objects.filter(imis_id=imis_id).first()
    if party is None:
        return None
    organization = (
        m.ImisParty.objects.filter(imis_id=party.primary_org_id).first()
        if party.primary_org_id
        else None
    )
    employees = (
        list(m.ImisParty.objects.filter(primary_org_id=imis_id, deleted_at__isnull=True)[:200])
        if party.is_organization
        else []
    )
    invoices = list(
        m.ImisInvoice.objects.filter(Q(sold_to_id=imis_id) | Q(bill_to_id=imis_id))
        .filter(deleted_at__isnull=True)
        .order_by("-invoice_date", "-imis_id")[:100]
    )
    registrations = list(
        m.ImisEventRegistration.objects.filter(party_id=imis_id, deleted_at__isnull=True).order_by(
            "-registered_on"
        )[:100]
    )
    events = {
        e.imis_id: e
        for e in m.ImisEvent.objects.filter(imis_id__in={r.event_id for r in registrations})
    }
    for registration in registrations:
        registration.event = events.get(registration.event_id)  # type: ignore[attr-defined]
    open_balance = sum((i.balance or 0) for i in invoices if i.is_open)
    activities = list(
        m.ImisActivity.objects.filter(party_id=imis_id).order_by("-transaction_date")[
            :activity_limit
        ]
    )
    return MemberRecord(
        party=party,
        organization=organization,
        employees=employees,
        subscriptions=list(
            m.ImisSubscription.objects.filter(party_id=imis_id, deleted_at__isnull=True).order_by(
                "-bill_through"
            )
        ),
        invoices=invoices,
        registrations=registrations,
        activities=activities,
        # iMIS records each dues payment as a DUES activity carrying the amount.
        payments=[a for a in activities if a.activity_type in PAYMENT_ACTIVITY_TYPES],
        groups=list(
            m.ImisGroupMember.objects.filter(party_id=imis_id, deleted_at__isnull=True).order_by(
                "-is_active", "group_class", "group_name"
            )
        ),
        communications=list(
            m.ImisCommunication.objects.filter(party_id=imis_id).order_by("-sent_on")[:100]
        ),
        owner=m.ImisRelationshipOwner.objects.filter(
            party_id=imis_id, deleted_at__isnull=True
        ).first(),
        open_balance=open_balance,
    )


def sync_status() -> list[dict]:
    """Per entity: rows in the mirror, the watermark, the last run's counts and any error."""
    states = {s.entity: s for s in m.SyncState.objects.all()}
    last_results: dict[str, dict] = {}
    for run in m.SyncRun.objects.exclude(status=m.SyncRun.Status.RUNNING).order_by("-id")[:20]:
        for name, result in run.results.items():
            last_results.setdefault(name, {**result, "run": run.pk, "at": run.finished_at})
    problems = dict(
        m.SyncQuarantine.objects.filter(resolved_at__isnull=True)
        .values_list("entity")
        .annotate(n=Count("id"))
    )
    rows = []
    for entity in entities():
        state = states.get(entity.name)
        rows.append(
            {
                "name": entity.name,
                "endpoint": entity.endpoint,
                "mode": entity.mode,
                "rows": entity.model._default_manager.filter(deleted_at__isnull=True).count(),
                "state": state,
                "last": last_results.get(entity.name),
                "open_problems": problems.get(entity.name, 0),
            }
        )
    return rows


def last_sync_run() -> m.SyncRun | None:
    return m.SyncRun.objects.order_by("-id").first()


def quarantine_list(*, entity: str = "", include_resolved: bool = False):
    queryset = m.SyncQuarantine.objects.all()
    if entity:
        queryset = queryset.filter(entity=entity)
    if not include_resolved:
        queryset = queryset.filter(resolved_at__isnull=True)
    return queryset


def outbox_list(*, state: str = "") -> QuerySet[m.OutboxWrite]:
    queryset = m.OutboxWrite.objects.all()
    if state == "stuck":
        return queryset.filter(
            Q(state=m.OutboxWrite.State.FAILED)
            | Q(state=m.OutboxWrite.State.PENDING, attempts__gte=3)
        )
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def outbox_stuck_count() -> int:
    return outbox_list(state="stuck").count()


def sync_age_text() -> str:
    run = m.SyncRun.objects.filter(finished_at__isnull=False).order_by("-id").first()
    if run is None or run.finished_at is None:
        return "never"
    minutes = int((timezone.now() - run.finished_at).total_seconds() // 60)
    return f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
