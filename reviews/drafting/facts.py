"""The facts a draft may state, each with its source (a mirror row and field, a setting, or the
calling app), read from the mirror for one member and optionally one invoice."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from common.money import format_money, to_money
from imis_client import models as m
from reviews.drafting.purposes import Purpose

logger = logging.getLogger(__name__)

MONEY, DATE, PERCENT, COUNT, TEXT = "money", "date", "percent", "count", "text"

# Kinds of the facts this module reads; facts from other apps get theirs from their value.
CATALOG_KINDS = {
    "first_name": TEXT,
    "association_name": TEXT,
    "renew_url": TEXT,
    "contact_email": TEXT,
    "membership_type": TEXT,
    "member_since_year": COUNT,
    "years_member": COUNT,
    "paid_thru": DATE,
    "renewal_amount": MONEY,
    "renewal_item": TEXT,
    "events_attended_12m": COUNT,
    "last_event_name": TEXT,
    "committees_active": COUNT,
    "invoice_number": TEXT,
    "invoice_date": DATE,
    "due_date": DATE,
    "invoice_amount": MONEY,
    "amount_due": MONEY,
    "days_overdue": COUNT,
    "last_payment_amount": MONEY,
    "last_payment_date": DATE,
}
PII_FACTS = {"first_name": "NAME"}
# Facts that steer the checks and never reach the text or a model.
CONTROL_FACTS = {"pending_payment_notice"}
UNTRUSTED_SUFFIXES = ("_text", "_memo", "_note")
UNTRUSTED_SOURCE_PREFIX = "untrusted:"


def is_untrusted(name: str, source: str) -> bool:
    """Free text from members, payers or iMIS free-text fields: data, never instructions."""
    return name.endswith(UNTRUSTED_SUFFIXES) or source.startswith(UNTRUSTED_SOURCE_PREFIX)


def format_date(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _format_percent(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return f"{text}%"


@dataclass(frozen=True)
class Fact:
    """One named value a message may state, and where it came from."""

    name: str
    value: object
    source: str
    kind: str = TEXT
    trusted: bool = True

    @property
    def present(self) -> bool:
        """Whether {% if %} shows its text: a zero count is absent, a zero balance is not."""
        if self.value is None or self.value == "":
            return False
        return self.kind == MONEY or self.value != 0

    def display(self) -> str:
        """The value as a message states it."""
        if self.value is None:
            return ""
        if self.kind == MONEY:
            return format_money(self.value)
        if self.kind == DATE:
            return format_date(self.value)
        if self.kind == PERCENT:
            return _format_percent(self.value)
        return str(self.value)

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        return {
            "name": self.name,
            "value": value,
            "source": self.source,
            "kind": self.kind,
            "trusted": self.trusted,
            "display": self.display(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Fact":
        kind, value = data.get("kind", TEXT), data.get("value")
        if value is not None and value != "":
            if kind in (MONEY, PERCENT):
                value = Decimal(str(value))
            elif kind == DATE:
                value = date.fromisoformat(str(value)[:10])
            elif kind == COUNT:
                value = int(value)
        return cls(
            name=str(data.get("name", "")),
            value=value,
            source=str(data.get("source", "")),
            kind=kind,
            trusted=bool(data.get("trusted", True)),
        )


def make_fact(name: str, value, source: str) -> Fact:
    """A fact from another app's (value, source) pair; its kind follows from the value."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"fact {name!r} needs a source (where its value came from)")
    if isinstance(value, float):
        raise TypeError(f"fact {name!r}: pass amounts and percentages as Decimal, not float")
    percent = "percent" in name or name.endswith("_pct")
    if isinstance(value, bool):
        kind, value = TEXT, ("yes" if value else "no")
    elif isinstance(value, datetime):
        kind, value = DATE, timezone.localdate(value) if timezone.is_aware(value) else value.date()
    elif isinstance(value, date):
        kind = DATE
    elif isinstance(value, Decimal):
        kind = PERCENT if percent else MONEY
        value = value if percent else to_money(value)
    elif isinstance(value, int):
        kind = PERCENT if percent else COUNT
        value = Decimal(value) if percent else value
    else:
        kind, value = CATALOG_KINDS.get(name, TEXT), "" if value is None else str(value)
    return Fact(name, value, source, kind, trusted=not is_untrusted(name, source))


@dataclass
class MemberPII:
    """What could identify the member, known from the mirror, to mask in anything sent out."""

    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


@dataclass
class FactContext:
    facts: dict[str, Fact]
    pii: MemberPII
    problems: list[str]  # facts that could not be read: each becomes a blocking flag


FactProvider = Callable[[str, str], dict]
_PROVIDERS: list[FactProvider] = []


def register_fact_provider(fn: FactProvider) -> FactProvider:
    """Add facts from another app for every draft: fn(member_id, invoice_id) -> {name: (value,
    source)}. A fact named ``pending_payment_notice`` blocks dunning and reminder drafts."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
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


def _renewal_facts(party: m.ImisParty) -> list[Fact]:
    subs = m.ImisSubscription.objects.filter(party_id=party.imis_id, deleted_at__isnull=True)
    sub = (
        subs.filter(is_member_component=True).order_by("-bill_through", "imis_id").first()
        or subs.order_by("-bill_through", "imis_id").first()
    )
    if sub is None:
        return []
    src = f"ImisSubscription[{sub.imis_id}]"
    facts = []
    if sub.item_name:
        facts.append(Fact("renewal_item", sub.item_name, f"{src}.item_name"))
    if sub.billed_amount is not None:
        facts.append(Fact("renewal_amount", sub.billed_amount, f"{src}.billed_amount", MONEY))
    else:
        item = m.ImisItem.objects.filter(code=sub.item_code, price__isnull=False).first()
        if item is not None:
            facts.append(
                Fact("renewal_amount", item.price, f"ImisItem[{item.imis_id}].price", MONEY)
            )
    if not party.paid_thru and sub.paid_thru:
        facts.append(Fact("paid_thru", sub.paid_thru, f"{src}.paid_thru", DATE))
    return facts


def _engagement_facts(party: m.ImisParty, today: date) -> list[Fact]:
    since = today - timedelta(days=365)
    window = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    events = {
        e.imis_id: e
        for e in m.ImisEvent.objects.filter(
            starts_at__gte=window,
            imis_id__in=m.ImisEventRegistration.objects.filter(
                party_id=party.imis_id, attended=True, deleted_at__isnull=True
            ).values("event_id"),
        )
    }
    facts = [
        Fact(
            "events_attended_12m",
            len(events),
            f"ImisEventRegistration[party {party.imis_id}, attended, events since {since}]",
            COUNT,
        ),
    ]
    if events:
        last = max(events.values(), key=lambda e: e.starts_at)
        facts.append(Fact("last_event_name", last.name, f"ImisEvent[{last.imis_id}].name"))
    groups = m.ImisGroupMember.objects.filter(
        party_id=party.imis_id, is_active=True, deleted_at__isnull=True
    ).count()
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


def _payment_facts(party: m.ImisParty) -> list[Fact]:
    payment = (
        m.ImisActivity.objects.filter(
            party_id=party.imis_id, activity_type__in=("DUES", "PAYMENT"), amount__isnull=False
        )
        .order_by("-transaction_date")
        .first()
    )
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
    party = m.ImisParty.objects.filter(imis_id=member_id).first() if member_id else None
    found: list[Fact] = _settings_facts()
    if member_id and party is None:
        problems.append(f"Member {member_id} is not in the mirror; sync iMIS or check the id.")
    if party is not None:
        found += _party_facts(party, today) + _renewal_facts(party)
        found += _engagement_facts(party, today) + _payment_facts(party)
    if invoice_id:
        invoice = m.ImisInvoice.objects.filter(Q(imis_id=invoice_id) | Q(number=invoice_id)).first()
        if invoice is None:
            problems.append(f"Invoice {invoice_id} is not in the mirror; sync iMIS or check it.")
        else:
            found += _invoice_facts(invoice, today)
    allowed = set(purpose.allowed_facts) | CONTROL_FACTS
    facts = {f.name: f for f in found if f.name in allowed}
    for provider in _PROVIDERS:
        try:
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
