"""Outreach proposals after a scoring run: High → a personal e-mail, a caller and an offer;
Medium → a reminder; Low and the hold-out group → the standard notice. One per member and term.

The hold-out group is drawn once per member and term (a hash of both, below the configured
share) and kept, so that a later change of the share or a re-score never moves a member.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from common import roles
from common.errors import DomainError
from common.money import HALF_UP, format_money, to_money
from imis_client.models import ImisParty, ImisRelationshipOwner
from renewals import kinds
from renewals.conf import RenewalSettings
from renewals.models import HoldoutAssignment, Outreach, RenewalScore
from reviews.drafting import draft_message
from reviews.services import review_item_propose

PRIORITY = {"high": 30, "medium": 20, "low": 0}
OFFER_DAYS = 30


def term_key(member_id: str, term: date) -> str:
    """One outreach proposal per member and term, whatever its kind."""
    return f"renewal-outreach:{member_id}:{term.isoformat()}"


def in_holdout(member_id: str, term: date, share: float) -> bool:
    digest = hashlib.blake2b(f"{member_id}|{term.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def holdout_assign(scores: list[RenewalScore], share: float) -> dict[tuple[str, date], bool]:
    """The hold-out flag of each at-risk (member, term): drawn the first time, then fixed."""
    at_risk = {(s.member_id, s.paid_thru) for s in scores if s.band in ("high", "medium")}
    if not at_risk:
        return {}
    members = {m for m, _ in at_risk}
    known = {
        (a.member_id, a.term): a.holdout
        for a in HoldoutAssignment.objects.filter(member_id__in=members)
        if (a.member_id, a.term) in at_risk
    }
    new = [
        HoldoutAssignment(
            member_id=m,
            term=t,
            holdout=in_holdout(m, t, share),
            share=Decimal(str(share)).quantize(Decimal("0.001")),
        )
        for m, t in sorted(at_risk - known.keys())
    ]
    HoldoutAssignment.objects.bulk_create(new, ignore_conflicts=True)
    for a in HoldoutAssignment.objects.filter(member_id__in={a.member_id for a in new}):
        known.setdefault((a.member_id, a.term), a.holdout)
    return known


class StaffPicker:
    """The relationship owner when iMIS names one who works here; else a fair rotation within
    the member's chapter: the membership staff member with the fewest outreach calls there."""

    def __init__(self, member_ids: list[str]) -> None:
        users = get_user_model().objects.filter(is_active=True)
        self.by_username = {u.username.lower(): u for u in users}
        self.rotation = list(
            users.filter(groups__name=roles.MEMBERSHIP).order_by("username").distinct()
        )
        self.owners = dict(
            ImisRelationshipOwner.objects.filter(party_id__in=member_ids, deleted_at__isnull=True)
            .exclude(staff_user_id="")
            .values_list("party_id", "staff_user_id")
        )
        self.load: Counter = Counter()
        rows = (
            Outreach.objects.filter(group=Outreach.Group.OUTREACH, staff__isnull=False)
            .values("score__chapter", "staff_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            self.load[(row["score__chapter"] or "", row["staff_id"])] += row["n"]

    def pick(self, member_id: str, chapter: str):
        owner = self.by_username.get(self.owners.get(member_id, "").lower())
        if owner is not None:
            return owner, "relationship owner in iMIS"
        if not self.rotation:
            raise DomainError(
                "No one holds the Membership staff role, so no one can be asked to call; "
                "give the role to at least one person."
            )
        user = min(self.rotation, key=lambda u: (self.load[(chapter, u.pk)], u.username))
        self.load[(chapter, user.pk)] += 1
        return user, f"next in the {chapter or 'unassigned'} chapter rotation"


@dataclass
class Contact:
    name: str
    first_name: str
    email: str
    phone: str


def _contacts(member_ids) -> dict[str, Contact]:
    return {
        p.imis_id: Contact(p.name, p.first_name or p.name, p.email, p.phone)
        for p in ImisParty.objects.filter(imis_id__in=member_ids).only(
            "imis_id", "name", "first_name", "email", "phone"
        )
    }


def _evidence(score: RenewalScore) -> list[dict]:
    source = f"churn model {score.model_version.label}, feature contributions"
    facts = [
        {
            "fact": f"Lapse probability {score.percent}% ({score.get_band_display()} risk)",
            "source": f"churn model {score.model_version.label}, scored {score.scored_on}",
        },
        {"fact": f"Paid through {score.paid_thru:%Y-%m-%d}", "source": "iMIS Party.PaidThruDate"},
    ]
    if score.dues_amount is not None:
        facts.append(
            {
                "fact": f"Dues for the next term {format_money(score.dues_amount)}",
                "source": "iMIS renewal invoice or dues item price",
            }
        )
    facts += [{"fact": r["text"], "source": source} for r in score.reasons]
    return facts


def _offer(score: RenewalScore, conf: RenewalSettings, today: date) -> tuple[Decimal, date]:
    dues = score.dues_amount or Decimal("0")
    amount = to_money(dues * Decimal(conf.incentive_percent) / 100, rule=HALF_UP)
    deadline = max(today + timedelta(days=14), min(score.paid_thru, today + timedelta(OFFER_DAYS)))
    return amount, deadline


def propose_for_run(run, *, conf: RenewalSettings, today: date, progress=None) -> Counter:
    """File the outreach proposal of every member of the run who has none for the term yet."""
    scores = list(run.scores.select_related("model_version").order_by("-probability", "id"))
    taken = set(
        Outreach.objects.filter(member_id__in=[s.member_id for s in scores]).values_list(
            "member_id", "term"
        )
    )
    scores = [s for s in scores if (s.member_id, s.paid_thru) not in taken]
    holdout = holdout_assign(scores, conf.holdout_share)
    held = [s.pk for s in scores if holdout.get((s.member_id, s.paid_thru))]
    RenewalScore.objects.filter(pk__in=held).update(holdout=True)
    contacts = _contacts([s.member_id for s in scores])
    picker = StaffPicker([s.member_id for s in scores if s.band == "high"])
    counts: Counter = Counter()
    for score in scores:
        if progress:
            progress.advance(1)
        contact = contacts.get(score.member_id)
        if contact is None:
            counts["not_in_mirror"] += 1
            continue
        try:
            group = _propose_one(score, contact, holdout, picker, conf=conf, today=today, run=run)
        except DomainError as exc:
            counts[f"skipped: {exc}"[:120]] += 1
            continue
        counts[group] += 1
    return counts


def _propose_one(score, contact: Contact, holdout, picker, *, conf, today, run) -> str:
    band = score.band
    if band != "low" and holdout.get((score.member_id, score.paid_thru)):
        kind, group, purpose = kinds.NOTICE, Outreach.Group.HOLDOUT, "renewal_notice"
    elif band == "high":
        kind, group, purpose = kinds.OUTREACH, Outreach.Group.OUTREACH, "high_risk_outreach"
    elif band == "medium":
        kind, group, purpose = kinds.REMINDER, Outreach.Group.OUTREACH, "renewal_reminder"
    else:
        kind, group, purpose = kinds.NOTICE, Outreach.Group.STANDARD, "renewal_notice"
    channel = "email" if contact.email or purpose == "renewal_notice" else "sms"
    to = contact.email if channel == "email" else contact.phone
    if not to:
        raise DomainError("no e-mail address or mobile number in iMIS")
    extra, payload, amount, staff = {}, {}, None, None
    if kind == kinds.OUTREACH:
        amount, deadline = _offer(score, conf, today)
        staff, why = picker.pick(score.member_id, score.chapter)
        extra = {
            "offer_percent": (Decimal(conf.incentive_percent), "renewals incentive policy"),
            "offer_deadline": (deadline, "renewals incentive policy"),
            "staff_name": (staff.get_full_name() or staff.username, f"assigned: {why}"),
        }
        reasons = "; ".join(r["text"] for r in score.reasons) or "several small signals"
        payload = {
            "staff": staff.username,
            "notes": (
                f"Renews {score.paid_thru + timedelta(days=1):%Y-%m-%d}; lapse risk "
                f"{score.percent}%. Why: {reasons}. Suggested: {score.next_action}. Offer: "
                f"{conf.incentive_percent}% off ({format_money(amount)}) if renewed by "
                f"{deadline:%Y-%m-%d}. Caller: {why}."
            ),
            "incentive": str(amount),
        }
    draft = draft_message(
        purpose=purpose,
        member_id=score.member_id,
        channel=channel,
        invoice_id=score.invoice_id,
        extra_facts=extra,
    )
    payload = {"draft": draft.as_payload(), **payload}
    label = {
        kinds.OUTREACH: "Personal outreach",
        kinds.REMINDER: "Renewal reminder",
        kinds.NOTICE: "Renewal notice",
    }[kind]
    probability = Decimal(score.probability).quantize(Decimal("0.001"))
    with transaction.atomic():
        return _file(kind, group, label, payload, contact, score, probability, amount, staff, run)


def _file(kind, group, label, payload, contact, score, probability, amount, staff, run) -> str:
    band = score.band
    item = review_item_propose(
        kind=kind,
        title=f"{label}: {contact.name}"[:200],
        payload=payload,
        member_id=score.member_id,
        invoice_id=score.invoice_id,
        object_ref=f"renewal term from {score.paid_thru:%Y-%m-%d}",
        summary=f"{contact.name} ({score.member_id}), {score.get_band_display()} risk "
        f"{score.percent}%, paid through {score.paid_thru:%Y-%m-%d}",
        evidence=_evidence(score),
        rationale=score.next_action,
        confidence=probability if kind == kinds.OUTREACH else 1 - probability,
        amount=amount,
        priority=PRIORITY[band],
        proposed_by_job=f"renewals scoring run {run.pk}",
        segment=band,
        dedupe_key=term_key(score.member_id, score.paid_thru),
    )
    Outreach.objects.create(
        item=item,
        member_id=score.member_id,
        term=score.paid_thru,
        band=band,
        group=group,
        probability=probability,
        score=score,
        staff=staff,
    )
    return group
