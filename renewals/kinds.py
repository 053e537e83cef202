"""The review-item kinds renewals files, and what each does once approved.

Every message goes out through ``reviews.communications.communication_send`` (once per item,
logged locally and in iMIS); every change in iMIS goes through the outbox. Effects run inside the
review item's transaction and are keyed by the item, so running one twice acts once.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from common.errors import DomainError
from common.money import format_money, to_money
from imis_client.contracts import writes
from imis_client.models import ImisParty
from imis_client.services import outbox_enqueue
from renewals.conf import renewal_settings
from reviews.kinds import ReviewKind, register_kind

OUTREACH = "renewals.outreach"
REMINDER = "renewals.reminder"
NOTICE = "renewals.notice"
WIN_BACK = "renewals.win_back"
WRITEBACK = "renewals.risk_writeback"
MESSAGE_KINDS = (OUTREACH, REMINDER, NOTICE, WIN_BACK)
TASK_DAYS = 7


def _draft(payload: dict) -> dict:
    draft = payload.get("draft")
    if not isinstance(draft, dict) or not str(draft.get("body", "")).strip():
        raise DomainError("The proposal has no drafted message; reject it and score again.")
    return draft


def _text(payload: dict, key: str) -> str:
    return str(payload.get(key, "") or "").strip()


# --- the payloads, typed ---------------------------------------------------------------------
# No payload names a recipient: a message goes to the member's own address in the iMIS mirror,
# read when it is sent (reviews.communications.recipient_for). Items filed before carried a
# "to", which is dropped on reading.


@dataclass(frozen=True)
class DraftedMessage:
    """A renewal reminder, notice or win-back: the drafted message (and a win-back's offer)."""

    draft: dict
    offer: str = ""

    @classmethod
    def from_payload(cls, payload: dict) -> "DraftedMessage":
        return cls(draft=_draft(payload), offer=_text(payload, "offer"))

    def to_payload(self) -> dict:
        return {"draft": self.draft, **({"offer": self.offer} if self.offer else {})}

    def facts(self) -> list[tuple[str, str]]:
        channel = "SMS" if self.draft.get("channel") == "sms" else "Email"
        rows = [
            ("Sent to", f"the member's {channel.lower()} in iMIS"),
            ("Subject", str(self.draft.get("subject", ""))),
        ]
        return [*rows, ("Offer", self.offer)] if self.offer else rows


@dataclass(frozen=True)
class OutreachProposal:
    """High-risk outreach: the drafted message, who calls, their notes and the incentive."""

    draft: dict
    staff: str
    notes: str = ""
    incentive: Decimal = Decimal("0.00")

    @classmethod
    def from_payload(cls, payload: dict) -> "OutreachProposal":
        staff = _text(payload, "staff")
        if not staff:
            raise DomainError("Name the staff member who will call (their username).")
        if not get_user_model().objects.filter(username=staff, is_active=True).exists():
            raise DomainError(f"No active staff member is called {staff!r}; use their username.")
        try:
            incentive = to_money(_text(payload, "incentive") or "0")
        except ValueError:
            raise DomainError(
                f"The incentive {_text(payload, 'incentive')!r} is not an amount; write e.g. 32.50."
            ) from None
        if incentive < 0:
            raise DomainError("The incentive cannot be negative.")
        return cls(
            draft=_draft(payload), staff=staff, notes=_text(payload, "notes"), incentive=incentive
        )

    def to_payload(self) -> dict:
        return {
            "draft": self.draft,
            "staff": self.staff,
            "notes": self.notes,
            "incentive": str(self.incentive),
        }

    def facts(self) -> list[tuple[str, str]]:
        return [
            *DraftedMessage(draft=self.draft).facts(),
            ("Caller", self.staff),
            ("Call notes", self.notes),
            ("Incentive", format_money(self.incentive)),
        ]


@dataclass(frozen=True)
class RiskWriteback:
    """A scoring run's risk scores, to be written to iMIS."""

    run: int
    members: int = 0

    @classmethod
    def from_payload(cls, payload: dict) -> "RiskWriteback":
        try:
            run = int(payload.get("run"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DomainError("The write-back names no scoring run.") from None
        return cls(run=run, members=int(payload.get("members") or 0))

    def to_payload(self) -> dict:
        return {"run": self.run, "members": self.members}

    def facts(self) -> list[tuple[str, str]]:
        return [("Scoring run", f"#{self.run}"), ("Members scored", str(self.members))]


def _validator(payload_type):
    return lambda payload: payload_type.from_payload(payload).to_payload()


def _send(item, purpose: str):
    from reviews.communications import communication_send, recipient_for

    draft = item.payload["draft"]
    channel = draft.get("channel", "email")
    return communication_send(
        key=f"renewals-{item.pk}-{item.effect_key}",
        member_id=item.member_id,
        to_address=recipient_for(item.member_id, channel),
        subject=draft.get("subject", ""),
        body=draft["body"],
        channel=channel,
        purpose=purpose,
        item=item,
        actor=item.decided_by,
        auto=item.decided_by_policy,
    )


def _risk_write(*, member_id: str, score, outreach_on=None):
    """PUT of the member's full AI_RenewalRisk row (CONTRACT.md)."""
    reasons = "; ".join(r["text"] for r in score.reasons)
    site = ZoneInfo(settings.IMIS_TIME_ZONE)  # iMIS dates are site-local, without an offset
    return outbox_enqueue(
        build=writes.renewal_risk,
        source=f"renewal score {score.pk}",
        party_id=member_id,
        band=score.get_band_display(),
        score=Decimal(score.probability),
        reasons=reasons,
        scored_on=datetime.combine(score.scored_on, time.min),
        outreach_on=outreach_on.astimezone(site) if outreach_on else None,
        model_version=score.model_version.label,
    )


def _effect_outreach(item) -> dict:
    from renewals.models import OutreachTask

    comm = _send(item, "high_risk_outreach")
    staff = get_user_model().objects.get(username=item.payload["staff"])
    outreach = getattr(item, "renewal_outreach", None)
    name = outreach.score.member_name if outreach and outreach.score else item.member_id
    task, _ = OutreachTask.objects.get_or_create(
        item=item,
        defaults={
            "staff": staff,
            "member_id": item.member_id,
            "member_name": name,
            "title": f"Call {name} ({item.member_id})"[:200],
            "call_notes": item.payload.get("notes", ""),
            "due_on": timezone.localdate() + timedelta(days=TASK_DAYS),
        },
    )
    result = {"communication": comm.pk, "task": task.pk}
    if outreach is not None and outreach.score is not None:
        write = _risk_write(
            member_id=item.member_id, score=outreach.score, outreach_on=timezone.now()
        )
        result["risk_write"] = write.reference
    return result


def _effect_message(purpose: str):
    def effect(item) -> dict:
        return {"communication": _send(item, purpose).pk}

    return effect


def _effect_writeback(item) -> dict:
    """Write each score of the run whose band differs from what iMIS last got for the member."""
    from renewals.models import RenewalScore

    scores = list(
        RenewalScore.objects.filter(run_id=item.payload["run"], written_back_at__isnull=True)
        .select_related("model_version")
        .order_by("id")
    )
    last = dict(
        RenewalScore.objects.filter(
            member_id__in=[s.member_id for s in scores], written_back_at__isnull=False
        )
        .order_by("member_id", "-written_back_at")
        .distinct("member_id")
        .values_list("member_id", "band")
    )
    now, written = timezone.now(), []
    for score in scores:
        if last.get(score.member_id) == score.band:
            continue
        _risk_write(member_id=score.member_id, score=score)
        written.append(score.pk)
    RenewalScore.objects.filter(pk__in=written).update(written_back_at=now)
    return {"written": len(written), "unchanged": len(scores) - len(written)}


def _recheck_renewal(item) -> str | None:
    """Stale when the member has renewed (or lapsed for good) since the proposal was filed."""
    outreach = getattr(item, "renewal_outreach", None)
    if outreach is None:
        return None
    party = ImisParty.objects.filter(imis_id=item.member_id).only("paid_thru", "status").first()
    if party is None:
        return f"Member {item.member_id} is no longer in iMIS."
    if party.paid_thru and party.paid_thru > outreach.term:
        return f"Member {item.member_id} has renewed: paid through {party.paid_thru:%Y-%m-%d}."
    return None


def _recheck_outreach(item) -> str | None:
    stale = _recheck_renewal(item)
    if stale:
        return stale
    limit = renewal_settings().incentive_threshold
    incentive = to_money(item.payload.get("incentive") or "0")
    if not item.needs_manager and incentive > limit:
        # An edit may not raise an offer past what the approver's role may grant.
        return (
            f"The incentive was raised to {format_money(incentive)}, above the "
            f"{format_money(limit)} a staff member may approve; file it again for a manager."
        )
    return None


def _recheck_win_back(item) -> str | None:
    outreach = getattr(item, "renewal_outreach", None)
    if outreach is None:
        return None
    party = ImisParty.objects.filter(imis_id=item.member_id).only("paid_thru").first()
    if party and party.paid_thru and party.paid_thru > outreach.term:
        return f"Member {item.member_id} has already rejoined."
    return None


def register_kinds() -> None:
    """Every renewals kind is reviewed by membership staff; its payload type validates it."""
    threshold = renewal_settings().incentive_threshold
    never_stale = ReviewKind.recheck
    table = [
        # name, label, payload type, effect, recheck, manager above
        (
            OUTREACH,
            "High-risk outreach",
            OutreachProposal,
            _effect_outreach,
            _recheck_outreach,
            threshold,
        ),
        (
            REMINDER,
            "Renewal reminder",
            DraftedMessage,
            _effect_message("renewal_reminder"),
            _recheck_renewal,
            None,
        ),
        (
            NOTICE,
            "Standard renewal notice",
            DraftedMessage,
            _effect_message("renewal_notice"),
            _recheck_renewal,
            None,
        ),
        (
            WIN_BACK,
            "Win-back offer",
            DraftedMessage,
            _effect_message("win_back"),
            _recheck_win_back,
            None,
        ),
        (WRITEBACK, "Risk scores to iMIS", RiskWriteback, _effect_writeback, never_stale, None),
    ]
    for name, label, payload_type, effect, recheck, above in table:
        register_kind(
            ReviewKind(
                name=name,
                label=label,
                queue="membership",
                validate=_validator(payload_type),
                payload_type=payload_type,
                effect=effect,
                recheck=recheck,
                threshold=above,
            )
        )
