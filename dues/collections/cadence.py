"""The dunning cadence a manager edits: its steps, each change audited before and after, and the
step's Observe / Assist / Auto mode kept as the review policy of its items."""

from decimal import Decimal

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from dues.models import DunningChannel, DunningStep, StepMode
from reviews.drafting.purposes import PURPOSE_SPECS
from reviews.services import review_policy_set

DUNNING_KIND = "dues.dunning_step"
BANDS = ("high", "medium", "low")
FIELDS = (
    "label",
    "offset_days",
    "channel",
    "purpose",
    "risk_bands",
    "min_amount",
    "or_amount_at_least",
    "mode",
    "active",
)


# The default cadence: written when missing after every migrate (and database flush);
# a manager's changes are kept, and steps are switched off rather than deleted.
DEFAULT_CADENCE = [
    ("pre_due", "Friendly reminder before the due date", -7, "email", "dunning_1", ["high"], None),
    ("reminder", "Reminder", 7, "email", "dunning_1", [], None),
    ("sms", "SMS reminder", 21, "sms", "dunning_2", [], None),
    ("plan_offer", "Payment-plan offer", 35, "email", "payment_plan", [], None),
    ("call", "Staff call with the payment history", 50, "call", "", ["high"], "500.00"),
    ("final", "Final notice", 60, "email", "dunning_3", [], None),
]


def cadence_defaults_ensure(**_signal) -> int:
    """Write the default steps that are missing (post_migrate); returns how many."""
    written = 0
    for code, label, offset, channel, purpose, bands, or_amount in DEFAULT_CADENCE:
        _, created = DunningStep.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "offset_days": offset,
                "channel": channel,
                "purpose": purpose,
                "risk_bands": bands,
                "or_amount_at_least": Decimal(or_amount) if or_amount else None,
            },
        )
        written += created
    return written


def step_segment(code: str) -> str:
    """The review-policy segment of one step's items (its mode lives there)."""
    return f"dunning-step:{code}"[:60]


def steps() -> list[DunningStep]:
    return list(DunningStep.objects.all())


def _snapshot(step: DunningStep) -> dict:
    return {name: getattr(step, name) for name in FIELDS}


def _check(values: dict) -> None:
    channel = values["channel"]
    if channel not in DunningChannel.values:
        raise DomainError(f"Unknown channel {channel!r}: email, sms or call.")
    if not -90 <= int(values["offset_days"]) <= 365:
        raise DomainError("Days from the due date must be between -90 and 365.")
    purpose = values["purpose"]
    if channel == DunningChannel.CALL:
        if purpose:
            raise DomainError("A staff call task drafts no message: leave the purpose empty.")
    else:
        spec = PURPOSE_SPECS.get(purpose)
        if spec is None or not spec.needs_invoice:
            usable = sorted(p for p, s in PURPOSE_SPECS.items() if s.needs_invoice)
            raise DomainError(f"Choose a drafting purpose about an invoice: {', '.join(usable)}.")
        if channel not in spec.channels:
            raise DomainError(
                f"{spec.label} is not drafted for {channel}; use {' or '.join(spec.channels)}."
            )
    unknown = set(values["risk_bands"]) - set(BANDS)
    if unknown:
        raise DomainError(f"Unknown risk band {sorted(unknown)[0]!r}: high, medium or low.")
    if values["min_amount"] < 0:
        raise DomainError("The minimum amount cannot be negative.")
    if values["mode"] not in StepMode.values:
        raise DomainError(f"Unknown mode {values['mode']!r}: observe, assist or auto.")


@transaction.atomic
def dunning_step_save(*, user, code: str, **values) -> DunningStep:
    """Create or change one step (``values``: any of FIELDS); audited with before and after."""
    step = DunningStep.objects.select_for_update().filter(code=code).first()
    created = step is None
    if step is None:
        step = DunningStep(code=code)
    before = {} if created else _snapshot(step)
    merged = {**_snapshot(step), **{k: v for k, v in values.items() if k in FIELDS}}
    merged["risk_bands"] = sorted(set(merged["risk_bands"] or []), key=BANDS.index)
    merged["min_amount"] = Decimal(merged["min_amount"] or 0)
    _check(merged)
    for name, value in merged.items():
        setattr(step, name, value)
    step.updated_by = user
    step.full_clean()
    step.save()
    after = _snapshot(step)
    if before.get("mode") != step.mode:
        review_policy_set(
            user=user,
            kind=DUNNING_KIND,
            segment=step_segment(step.code),
            mode=step.mode,
            min_confidence=Decimal("0") if step.mode == StepMode.AUTO else None,
        )
    changed = {k: [before.get(k), after[k]] for k in FIELDS if before.get(k) != after[k]}
    if changed:
        audit_record(
            action="dunning.step_created" if created else "dunning.step_changed",
            summary=f"Dunning step {step.label} ({step.code}): " + ", ".join(sorted(changed))[:400],
            actor=user,
            object_type="dunning_step",
            object_id=step.pk,
            data={"before": before, "after": after},
        )
    return step
