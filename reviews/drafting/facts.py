"""The facts a draft may state, each with its source (a mirror row and field, a setting, or the
calling app), read from the mirror for one member and optionally one invoice."""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from imis_client import models as m
from reviews.drafting.fact import (
    CONTROL_FACTS,
    COUNT,
    DATE,
    MONEY,
    Fact,
    make_fact,
)
from reviews.drafting.pii import MemberPII
from reviews.drafting.purposes import Purpose

logger = logging.getLogger(__name__)


@dataclass
class FactContext:
    facts: dict[str, Fact]
    pii: MemberPII
    problems: list[str]  # facts that could not be read: each becomes a blocking flag


FactProvider = Callable[[str, str], dict]
_PROVIDERS: list[FactProvider] = []
# A provider's batch form: many([(member_id, invoice_id)]) -> {(member_id, invoice_id): facts}
_MANY: dict[FactProvider, Callable[[list[tuple[str, str]]], dict]] = {}


def register_fact_provider(fn: FactProvider, *, many=None) -> FactProvider:
    """Add facts from another app for every draft: fn(member_id, invoice_id) -> {name: (value,
    source)}. A fact named ``pending_payment_notice`` blocks dunning and reminder drafts.
    ``many``: the same facts for a batch of drafts in one call, used inside ``facts_batch``."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    if many is not None:
        _MANY[fn] = many
    return fn


def _settings_facts() -> list[Fact]:
    return [
        Fact(
            "association_name",
            settings.DRAFTING_ASSOCIATION_NAME,
            "setting DRAFTING_ASSOCIATION_NAME",
        ),
        Fact("renew_url", settings.DRAFTING_PORTAL_URL, "setting DRAFTING_PORTAL_URL"),
        Fact("contact_email", settings.DRAFTING_CONTACT_EMAIL, "setting DRAFTING_CONTACT_EMAIL"),
    ]


def _party_facts(party: m.ImisParty, today: date) -> list[Fact]:
    src = f"ImisParty[{party.imis_id}]"
    facts = []
    if party.is_organization:
        facts.append(Fact("first_name", party.name, f"{src}.name"))
    elif party.informal_name:
        facts.append(Fact("first_name", party.informal_name, f"{src}.informal_name"))
    elif party.first_name:
        facts.append(Fact("first_name", party.first_name, f"{src}.first_name"))
    if party.customer_type_name:
        facts.append(Fact("membership_type", party.customer_type_name, f"{src}.customer_type_name"))
    if party.join_date:
        facts.append(Fact("member_since_year", party.join_date.year, f"{src}.join_date", COUNT))
        years = (
            today.year
            - party.join_date.year
            - ((today.month, today.day) < (party.join_date.month, party.join_date.day))
        )
        facts.append(
            Fact("years_member", max(years, 0), f"{src}.join_date (whole years to {today})", COUNT)
        )
    if party.paid_thru:
        facts.append(Fact("paid_thru", party.paid_thru, f"{src}.paid_thru", DATE))
    return facts


def _renewal_facts(party: m.ImisParty, rows: "MirrorRows") -> list[Fact]:
    sub = rows.subscriptions.get(party.imis_id)
    if sub is None:
        return []
    src = f"ImisSubscription[{sub.imis_id}]"
    facts = []
    if sub.item_name:
        facts.append(Fact("renewal_item", sub.item_name, f"{src}.item_name"))
    if sub.billed_amount is not None:
        facts.append(Fact("renewal_amount", sub.billed_amount, f"{src}.billed_amount", MONEY))
    else:
        item = rows.items.get(sub.item_code)
        if item is not None:
            facts.append(
                Fact("renewal_amount", item.price, f"ImisItem[{item.imis_id}].price", MONEY)
            )
    if not party.paid_thru and sub.paid_thru:
        facts.append(Fact("paid_thru", sub.paid_thru, f"{src}.paid_thru", DATE))
    return facts


def _engagement_facts(party: m.ImisParty, rows: "MirrorRows") -> list[Fact]:
    events = rows.events.get(party.imis_id, [])
    facts = [
        Fact(
            "events_attended_12m",
            len(events),
            f"ImisEventRegistration[party {party.imis_id}, attended, events since "
            f"{rows.events_since}]",
            COUNT,
        ),
    ]
    if events:
        last = max(events, key=lambda e: e.starts_at)
        facts.append(Fact("last_event_name", last.name, f"ImisEvent[{last.imis_id}].name"))
    groups = rows.groups.get(party.imis_id, 0)
    facts.append(
        Fact("committees_active", groups, f"ImisGroupMember[party {party.imis_id}, active]", COUNT)
    )
    return facts


def _invoice_facts(invoice: m.ImisInvoice, today: date) -> list[Fact]:
    src = f"ImisInvoice[{invoice.imis_id}]"
    facts = [Fact("invoice_number", invoice.number or invoice.imis_id, f"{src}.number")]
    if invoice.invoice_date:
        facts.append(Fact("invoice_date", invoice.invoice_date, f"{src}.invoice_date", DATE))
    if invoice.due_date:
        facts.append(Fact("due_date", invoice.due_date, f"{src}.due_date", DATE))
        if invoice.due_date < today:
            facts.append(
                Fact(
                    "days_overdue",
                    (today - invoice.due_date).days,
                    f"{src}.due_date (days to {today})",
                    COUNT,
                )
            )
    if invoice.amount is not None:
        facts.append(Fact("invoice_amount", invoice.amount, f"{src}.amount", MONEY))
    if invoice.balance is not None:
        facts.append(Fact("amount_due", invoice.balance, f"{src}.balance", MONEY))
    return facts


def _payment_facts(party: m.ImisParty, rows: "MirrorRows") -> list[Fact]:
    payment = rows.payments.get(party.imis_id)
    if payment is None or payment.transaction_date is None:
        return []
    src = f"ImisActivity[{payment.imis_id}]"
    return [
        Fact("last_payment_amount", payment.amount, f"{src}.amount", MONEY),
        Fact(
            "last_payment_date",
            timezone.localdate(payment.transaction_date),
            f"{src}.transaction_date",
            DATE,
        ),
    ]


@dataclass
class MirrorRows:
    """The mirror rows that facts are read from, for many members and invoices in a few
    queries (a batch of drafts), or for one draft's member and invoice. No fact reads a row's
    ``raw`` record, the widest column: it is left unread."""

    today: date
    member_ids: set[str]
    invoice_ids: set[str]
    parties: dict[str, m.ImisParty] = field(default_factory=dict)
    subscriptions: dict[str, m.ImisSubscription] = field(default_factory=dict)
    items: dict[str, m.ImisItem] = field(default_factory=dict)
    events_since: date | None = None
    events: dict[str, list[m.ImisEvent]] = field(default_factory=dict)  # attended, per party
    groups: dict[str, int] = field(default_factory=dict)
    payments: dict[str, m.ImisActivity] = field(default_factory=dict)
    invoices: dict[str, m.ImisInvoice] = field(default_factory=dict)  # by imis id and number
    # {provider: {(member_id, invoice_id): facts} or the exception its batch form raised}
    provided: dict = field(default_factory=dict)

    def covers(self, member_id: str, invoice_id: str, today: date) -> bool:
        return (
            today == self.today
            and (not member_id or member_id in self.member_ids)
            and (not invoice_id or invoice_id in self.invoice_ids)
        )

    @classmethod
    def read(cls, member_ids, invoice_ids, today: date) -> "MirrorRows":
        """Each query reads the rows of every member (or invoice) at once; the choice of row
        per member is the one a single draft's query makes (same order, first wins)."""
        rows = cls(today, {i for i in member_ids if i}, {i for i in invoice_ids if i})
        ids = sorted(rows.member_ids)
        if ids:
            parties = m.ImisParty.objects.filter(imis_id__in=ids).defer("raw")
            rows.parties = {p.imis_id: p for p in parties}
            ids = sorted(rows.parties)
        if ids:
            rows._read_subscriptions(ids)
            rows._read_engagement(ids)
            payments = (
                m.ImisActivity.objects.filter(
                    party_id__in=ids, activity_type__in=("DUES", "PAYMENT"), amount__isnull=False
                )
                .order_by("party_id", "-transaction_date")  # a NULL date first, as one draft's
                .distinct("party_id")
                .defer("raw")
            )
            rows.payments = {p.party_id: p for p in payments}
        if rows.invoice_ids:
            wanted = sorted(rows.invoice_ids)
            invoices = m.ImisInvoice.objects.filter(Q(imis_id__in=wanted) | Q(number__in=wanted))
            for invoice in invoices.defer("raw"):
                for key in (invoice.imis_id, invoice.number):
                    if key in rows.invoice_ids:
                        rows.invoices.setdefault(key, invoice)
        return rows

    def _read_subscriptions(self, ids: list[str]) -> None:
        subs = m.ImisSubscription.objects.filter(party_id__in=ids, deleted_at__isnull=True)
        member_sub: dict[str, m.ImisSubscription] = {}
        for sub in subs.order_by("party_id", "-bill_through", "imis_id").defer("raw"):
            self.subscriptions.setdefault(sub.party_id, sub)
            if sub.is_member_component:
                member_sub.setdefault(sub.party_id, sub)
        self.subscriptions.update(member_sub)  # the membership itself before any other
        codes = sorted(
            {s.item_code for s in self.subscriptions.values() if s.billed_amount is None}
        )
        if codes:
            for item in m.ImisItem.objects.filter(code__in=codes, price__isnull=False):
                self.items.setdefault(item.code, item)

    def _read_engagement(self, ids: list[str]) -> None:
        self.events_since = since = self.today - timedelta(days=365)
        window = timezone.make_aware(datetime.combine(since, datetime.min.time()))
        attended = m.ImisEventRegistration.objects.filter(
            party_id__in=ids, attended=True, deleted_at__isnull=True
        ).values_list("party_id", "event_id")
        by_event: dict[str, set[str]] = {}
        for party_id, event_id in attended.order_by():
            by_event.setdefault(event_id, set()).add(party_id)
        if by_event:
            events = m.ImisEvent.objects.filter(starts_at__gte=window, imis_id__in=list(by_event))
            for event in events.defer("raw"):  # in the events' own order, as one draft's
                for party_id in sorted(by_event[event.imis_id]):
                    self.events.setdefault(party_id, []).append(event)
        groups = (
            m.ImisGroupMember.objects.filter(
                party_id__in=ids, is_active=True, deleted_at__isnull=True
            )
            .order_by()
            .values_list("party_id")
            .annotate(n=Count("id"))
        )
        self.groups = dict(groups)

    def read_providers(self, pairs: list[tuple[str, str]]) -> None:
        """The registered providers' facts for these (member, invoice) pairs, through each
        provider's batch form where it has one."""
        for provider in _PROVIDERS:
            many = _MANY.get(provider)
            if many is None:
                continue
            try:
                self.provided[provider] = many(pairs)
            except Exception as exc:  # reported per draft, as a single call's failure is
                logger.exception("fact provider %s failed", provider)
                self.provided[provider] = exc


_batch: ContextVar[MirrorRows | None] = ContextVar("drafting_facts_batch", default=None)


@contextmanager
def facts_batch(pairs: list[tuple[str, str]], today: date | None = None):
    """Draft for these (member_id, invoice_id) pairs with their facts read in a few queries for
    all of them; a draft for anyone else inside the block reads its own, as outside."""
    rows = MirrorRows.read(
        [p[0] for p in pairs], [p[1] for p in pairs], today or timezone.localdate()
    )
    rows.read_providers(pairs)
    token = _batch.set(rows)
    try:
        yield rows
    finally:
        _batch.reset(token)


def member_pii(party: m.ImisParty | None) -> MemberPII:
    """What could identify the member, to mask before any model call (other apps too)."""
    if party is None:
        return MemberPII()
    names = [party.name, party.first_name, party.last_name, party.informal_name, party.middle_name]
    if party.is_organization:
        names = [party.name]
    return MemberPII(
        names=[n for n in names if n and len(n) > 1],
        emails=[party.email] if party.email else [],
        phones=[party.phone] if party.phone else [],
        addresses=[a for a in (party.city, party.postal_code) if a and len(a) > 2],
    )


def build_facts(
    *,
    purpose: Purpose,
    member_id: str,
    invoice_id: str = "",
    extra_facts: dict | None = None,
    today: date | None = None,
) -> FactContext:
    """Only the facts this purpose may use, read from the mirror, plus the caller's and the
    registered providers' facts."""
    today = today or timezone.localdate()
    problems: list[str] = []
    rows = _batch.get()
    if rows is None or not rows.covers(member_id, invoice_id, today):
        rows = MirrorRows.read([member_id], [invoice_id], today)
    party = rows.parties.get(member_id) if member_id else None
    found: list[Fact] = _settings_facts()
    if member_id and party is None:
        problems.append(f"Member {member_id} is not in the mirror; sync iMIS or check the id.")
    if party is not None:
        found += _party_facts(party, today) + _renewal_facts(party, rows)
        found += _engagement_facts(party, rows) + _payment_facts(party, rows)
    if invoice_id:
        invoice = rows.invoices.get(invoice_id)
        if invoice is None:
            problems.append(f"Invoice {invoice_id} is not in the mirror; sync iMIS or check it.")
        else:
            found += _invoice_facts(invoice, today)
    allowed = set(purpose.allowed_facts) | CONTROL_FACTS
    facts = {f.name: f for f in found if f.name in allowed}
    for provider in _PROVIDERS:
        try:
            batched = rows.provided.get(provider)
            if isinstance(batched, Exception):
                raise batched
            if batched is not None:
                provided = batched.get((member_id, invoice_id)) or {}
            else:
                provided = provider(member_id, invoice_id) or {}
        except Exception as exc:  # a provider's failure must not pass silently
            logger.exception("fact provider %s failed", provider)
            problems.append(
                f"Facts from {getattr(provider, '__name__', provider)} could not be "
                f"read ({type(exc).__name__}); try again before sending."
            )
            continue
        for name, (value, source) in provided.items():
            if name in allowed:
                facts[name] = make_fact(name, value, source)
    for name, (value, source) in (extra_facts or {}).items():
        facts[name] = make_fact(name, value, source)
    return FactContext(facts=facts, pii=member_pii(party), problems=problems)
