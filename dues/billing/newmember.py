"""New-member billing set-up: a member the sync shows joined without any dues line gets a
billing package proposed for review - the member type's dues item, the chapter's dues, and the
subscriptions most members of their type take - priced and termed by the billing policy (a
calendar-model joiner prorated) through the billing calculator. Once approved, each line is
created in iMIS through the outbox (``POST /api/Subscription``, read back by SourceCode).

The payload is flat text for the generic review page: ``member``, ``member_type``, ``term``,
``lines`` (``kind item amount`` per line) and ``total``. What the effect posts is computed again
from the mirror and the policy, never taken from the payload: an edited line is refused.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from common.errors import DomainError
from common.money import ZERO, format_money
from dues.billing import calculator as calc
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from imis_client.contracts.writes import subscription_create
from imis_client.models import ImisParty, ImisSubscription
from imis_client.services import outbox_enqueue
from reviews.kinds import ReviewKind
from reviews.services import review_items_propose_many

KIND = "dues.new_member_billing"
WINDOW_DAYS = 90  # joins older than this are not "new": their billing is someone's decision
POPULAR_SHARE = Decimal("0.30")  # a subscription this share of the type takes is proposed


@dataclass(frozen=True)
class Package:
    member: ImisParty
    member_type: str
    term: calc.Term
    bill_begin: date
    lines: tuple  # calc.Line
    total: Decimal

    def lines_text(self) -> str:
        return "\n".join(f"{li.kind} {li.item} {li.amount:.2f}" for li in self.lines)


def _is_dues_line(row: ImisSubscription, policy, prices) -> bool:
    return bool(row.is_member_component) or prices.member_type_of(policy, row.item_code) is not None


def popular_subscriptions(member_type: str, *, share: Decimal = POPULAR_SHARE) -> list[str]:
    """Subscription items at least ``share`` of the members of a type take."""
    members = ImisParty.objects.filter(customer_type=member_type, is_member=True)
    count = members.count()
    if not count:
        return []
    rows = (
        ImisSubscription.objects.filter(
            Q(item_class__iexact="SUBSCRIPTION") | Q(product_type__iexact="SUBSCRIPTION"),
            party_id__in=members.values("imis_id"),
            deleted_at__isnull=True,
        )
        .values("item_code")
        .annotate(n=Count("party_id", distinct=True))
        .order_by("item_code")
    )
    return [row["item_code"] for row in rows if Decimal(row["n"]) / count >= share]


def package_for(member_id: str) -> Package:
    """The billing package a new member should get, by the policy in force."""
    member = ImisParty.objects.filter(imis_id=str(member_id).strip()).first()
    if member is None:
        raise DomainError(f"No member {member_id} in the iMIS mirror; sync iMIS first.")
    if not member.join_date:
        raise DomainError(f"Member {member_id} has no join date in iMIS; set it there first.")
    member_type = (member.customer_type or "").strip().upper()
    policy, prices = current_policy(), price_book()
    term = calc.term_for(policy, member.join_date)
    expected = calc.expected_invoice(
        policy,
        prices,
        member_type=member_type,
        term=term,
        organisation=member.is_organization,
        chapter=member.chapter,
        subscriptions=popular_subscriptions(member_type),
        join_date=member.join_date,
    )
    lines = tuple(li for li in expected.lines if li.amount > 0 or li.kind == "dues")
    return Package(
        member,
        member_type,
        term,
        max(term.begin, member.join_date),
        lines,
        sum((li.amount for li in lines), ZERO),
    )


def new_members_without_billing(*, today: date | None = None) -> list[ImisParty]:
    """Members who joined within the window and have no dues line in the mirror."""
    today = today or timezone.localdate()
    policy, prices = current_policy(), price_book()
    joined = list(
        ImisParty.objects.filter(
            is_member=True,
            deleted_at__isnull=True,
            join_date__gte=today - timedelta(days=WINDOW_DAYS),
            join_date__lte=today,
        ).order_by("imis_id")
    )
    lines = ImisSubscription.objects.filter(
        party_id__in=[m.imis_id for m in joined], deleted_at__isnull=True
    )
    billed = {row.party_id for row in lines if _is_dues_line(row, policy, prices)}
    return [m for m in joined if m.imis_id not in billed]


def newmember_scan(*, today: date | None = None, user=None) -> dict:
    """Propose a package for each new member without billing not already proposed."""
    from reviews.models import ReviewItem

    members = new_members_without_billing(today=today)
    keys = {f"newmember:{m.imis_id}" for m in members}
    filed = set(ReviewItem.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    proposals, refused = [], []
    for member in members:
        if f"newmember:{member.imis_id}" in filed:
            continue
        try:
            package = package_for(member.imis_id)
        except DomainError as exc:
            refused.append(f"{member.imis_id}: {exc}")
            continue
        proposals.append(
            {
                "title": f"Set up billing for {member.name}: {format_money(package.total)}",
                "payload": _payload(package),
                "member_id": member.imis_id,
                "object_ref": f"newmember:{member.imis_id}",
                "summary": (
                    f"Joined {package.member.join_date:%d %b %Y} as {package.member_type} "
                    "with no dues line in iMIS."
                ),
                "amount": package.total,
                "proposed_by": user,
                "proposed_by_job": "" if user else "newmember_scan",
                "dedupe_key": f"newmember:{member.imis_id}",
            }
        )
    items = review_items_propose_many(kind=KIND, proposals=proposals) if proposals else []
    return {"proposed": len(items), "already": len(filed), "refused": refused}


def _payload(package: Package) -> dict:
    return {
        "member": package.member.imis_id,
        "member_type": package.member_type,
        "term": f"{package.bill_begin.isoformat()}..{package.term.end.isoformat()}",
        "lines": package.lines_text(),
        "total": str(package.total),
    }


def validate(payload: dict) -> dict:
    package = package_for(str(payload.get("member") or ""))
    cleaned = _payload(package)
    given = "\n".join(" ".join(line.split()) for line in str(payload.get("lines", "")).splitlines())
    if given.strip() and given.strip() != cleaned["lines"]:
        raise DomainError(
            "The lines and prices come from the billing policy and the member's record; change "
            "the member's type or chapter in iMIS, or the policy, and the package follows."
        )
    return cleaned


def effect(item) -> dict:
    """Queue one ``POST /api/Subscription`` per line; each SourceCode names this item's line."""
    package = package_for(item.payload["member"])
    references = []
    for number, line in enumerate(package.lines, start=1):
        write = outbox_enqueue(
            build=subscription_create,
            source=f"review item {item.pk}",
            party_id=package.member.imis_id,
            item_id=line.item,
            bill_begin=package.bill_begin,
            bill_through=package.term.end,
            amount=line.amount,
            member_component=line.kind == "dues",
            source_code=f"DD-NM-{item.pk}-{number}",
        )
        references.append(write.reference)
    return {"outbox": references, "lines": len(package.lines), "total": str(package.total)}


def recheck(item) -> str | None:
    member_id = item.payload.get("member", "")
    policy, prices = current_policy(), price_book()
    lines = ImisSubscription.objects.filter(party_id=member_id, deleted_at__isnull=True)
    if any(_is_dues_line(row, policy, prices) for row in lines):
        return f"Member {member_id} has a dues line in iMIS now; nothing to set up."
    return None


NEW_MEMBER_BILLING = ReviewKind(
    name=KIND,
    label="New-member billing set-up",
    queue="finance",
    validate=validate,
    effect=effect,
    recheck=recheck,
    threshold=Decimal(settings.BILLING_MEMO_THRESHOLD) * 10,
)


def newmember_scan_task() -> dict:
    return newmember_scan()
