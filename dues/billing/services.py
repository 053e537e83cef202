"""Writes of billing: the policy's overrides and the invoice checks' results. (What a check
finds is computed in ``checks``; credit memos are written in ``memos``.)"""

import time
from collections import Counter
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from common.audit import audit_event, audit_record, audit_record_many
from common.errors import DomainError
from common.states import transition
from dues.billing import check_snapshot, checks
from dues.billing.policy import RULES, RULES_BY_NAME, as_texts, current_policy, defaults
from dues.billing.prices import price_book
from dues.models import BillingPolicySetting, CheckRun, Finding, InvoiceCheck


@transaction.atomic
def billing_policy_set(*, user, values: dict[str, str]) -> dict:
    """Change rules of the billing policy; one audit event names each rule before and after.

    ``values`` maps rule names to text as a person typed it; every value is checked before any
    is stored, so a bad one changes nothing. A value equal to the environment's default removes
    the override. Returns {rule: [before, after]} of what changed.
    """
    unknown = set(values) - set(RULES_BY_NAME)
    if unknown:
        raise DomainError(f"Unknown billing rule {', '.join(sorted(unknown))}.")
    before = as_texts(current_policy())
    env_texts = {
        rule.name: rule.text(value) for rule, value in zip(RULES, defaults().values(), strict=True)
    }
    parsed, problems = {}, []
    for name, text in values.items():
        rule = RULES_BY_NAME[name]
        try:
            parsed[name] = rule.text(rule.parse(text))
        except DomainError as exc:
            problems.append(f"{rule.label}: {exc}")
    if problems:
        raise DomainError(" ".join(problems), code="invalid_policy")
    changed = {n: [before[n], t] for n, t in parsed.items() if before[n] != t}
    if not changed:
        raise DomainError("Nothing was changed.", code="unchanged")
    for name, (_, text) in changed.items():
        if text == env_texts[name]:
            BillingPolicySetting.objects.filter(name=name).delete()
            continue
        setting, _ = BillingPolicySetting.objects.select_for_update().get_or_create(
            name=name, defaults={"value": text, "updated_by": user}
        )
        setting.value, setting.updated_by = text, user
        setting.full_clean()
        setting.save()
    labels = ", ".join(RULES_BY_NAME[n].label.lower() for n in changed)
    audit_record(
        action="billing.policy_changed",
        summary=f"Billing policy changed: {labels}"[:500],
        actor=user,
        object_type="billing_policy",
        object_id="policy",
        data={
            "before": {n: b for n, (b, _) in changed.items()},
            "after": {n: a for n, (_, a) in changed.items()},
        },
    )
    return changed


# --- invoice checks -------------------------------------------------------------------------


def billing_checks_run(
    *,
    trigger: str,
    since: date | None = None,
    changed_since=None,
    invoice_ids=None,
    user=None,
    progress=None,
    synced_through=None,
) -> CheckRun:
    """Check invoices against the policy and record every outcome: the latest check of each
    invoice, a finding per mis-billed one (opened, updated, or resolved when a later check finds
    the invoice right), and the run's counts. Safe to run twice: a second run finds the same.

    ``since`` defaults to the policy's window (invoices dated within its validation days).
    """
    policy = current_policy()
    started = time.monotonic()
    now = timezone.now()
    if since is None:
        since = timezone.localdate() - timedelta(days=policy.validation_days)
    run = CheckRun.objects.create(
        trigger=trigger,
        since=since,
        changed_since=changed_since,
        started_at=now,
        requested_by=user,
        synced_through=synced_through,
    )
    report = progress or _Quiet()
    report.stage("reading", message="reading invoices, lines, members and prices")
    query = check_snapshot.invoices_query(
        since=since, changed_since=changed_since, invoice_ids=invoice_ids
    )
    snapshot = check_snapshot.load(query)
    report.stage("checking", total=len(snapshot.invoices))
    outcomes = checks.check_all(policy, price_book(), snapshot)
    report.stage("recording", total=len(outcomes))
    with transaction.atomic():
        _record_checks(run, outcomes, now)
        opened = _record_findings(run, outcomes, query, now)
        counts = Counter(o.outcome for o in outcomes)
        by_kind = Counter(o.kind for o in outcomes if o.outcome == "flagged")
        run.checked = counts["clean"] + counts["flagged"]
        run.clean, run.flagged, run.skipped = counts["clean"], counts["flagged"], counts["skipped"]
        run.by_kind = {kind: by_kind.get(kind, 0) for kind in checks.KINDS}
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - started, 3)
        run.save()
        audit_record(
            action="billing.checks_run",
            summary=f"Invoice checks #{run.pk}: {run.checked} checked, {run.clean} clean, "
            f"{run.flagged} flagged ({len(opened)} new)",
            actor=user,
            actor_name=None if user else "system",
            object_type="billing_check_run",
            object_id=run.pk,
            data={"by_kind": run.by_kind, "skipped": run.skipped, "since": str(since)},
        )
        for hook in AFTER_CHECKS:
            hook(run=run, findings=opened)
    return run


# Called with the run and the findings it opened, inside its transaction (credit memos
# register their proposal here, so that a finding and its memo are filed together).
AFTER_CHECKS: list = []


class _Quiet:
    def stage(self, *args, **kwargs) -> None: ...
    def advance(self, *args, **kwargs) -> None: ...


_CHECK_COLUMNS = (
    "invoice_id",
    "member_id",
    "invoice_date",
    "outcome",
    "billed",
    "expected",
    "reason",
    "run_id",
    "checked_at",
)


def _record_checks(run: CheckRun, outcomes, now) -> None:
    """The latest check of each invoice: COPY into a scratch table, then one upsert (the ORM's
    bulk upsert of a window of invoices takes seconds)."""
    table = InvoiceCheck._meta.db_table
    columns = ", ".join(_CHECK_COLUMNS)
    stamp = now.isoformat()

    def cell(value) -> str:
        if value is None:
            return "\\N"
        return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    lines = "".join(
        "\t".join(
            [
                cell(o.invoice.id),
                cell(o.invoice.sold_to),
                cell(o.invoice.date),
                o.outcome,
                cell(o.invoice.billed),
                cell(o.expected),
                cell(o.reason[:200]),
                str(run.pk),
                stamp,
            ]
        )
        + "\n"
        for o in outcomes
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _CHECK_COLUMNS if c != "invoice_id")
    # Table and column names come from the model, never from input.
    scratch = f"CREATE TEMP TABLE IF NOT EXISTS _billing_checks ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: E501, S608
    upsert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _billing_checks ON CONFLICT (invoice_id) DO UPDATE SET {updates}"  # noqa: E501, S608
    with connection.cursor() as cursor:
        cursor.execute(scratch)
        with cursor.cursor.copy(f"COPY _billing_checks ({columns}) FROM STDIN") as copy:
            copy.write(lines)
        cursor.execute(upsert)
        cursor.execute("DROP TABLE _billing_checks")


_FINDING_FIELDS = ["kind", "billed", "expected", "difference", "confidence", "summary"]


def _record_findings(run: CheckRun, outcomes, query, now) -> list[Finding]:
    """Open, update and resolve findings; every opening, change of money and resolution is
    audited. Returns the findings opened."""
    active = {
        f.invoice_id: f
        for f in Finding.objects.filter(
            invoice_id__in=Subquery(query.values("imis_id")), status__in=Finding.ACTIVE
        )
    }
    dismissed = set(
        Finding.objects.filter(
            invoice_id__in=Subquery(query.values("imis_id")), status=Finding.Status.DISMISSED
        ).values_list("invoice_id", "kind", "billed", "expected")
    )
    opened, changed, resolved, events = [], [], [], []
    for o in outcomes:
        inv = o.invoice
        finding = active.get(inv.id)
        if o.outcome == "flagged" and (inv.id, o.kind, inv.billed, o.expected) in dismissed:
            continue  # a person dismissed this very finding; it is not raised again
        if o.outcome == "flagged":
            values = {
                "kind": o.kind,
                "billed": inv.billed,
                "expected": o.expected,
                "difference": o.difference,
                "confidence": o.confidence,
                "summary": o.summary[:500],
            }
            if finding is None:
                finding = Finding(
                    invoice_id=inv.id,
                    invoice_number=inv.number,
                    invoice_date=inv.date,
                    member_id=inv.sold_to,
                    member_name=o.member_name[:300],
                    breakdown=o.breakdown,
                    run=run,
                    created_at=now,
                    checked_at=now,
                    **values,
                )
                opened.append(finding)
                continue
            before = {k: getattr(finding, k) for k in _FINDING_FIELDS}
            if before != values or finding.breakdown != o.breakdown:
                for key, value in values.items():
                    setattr(finding, key, value)
                finding.breakdown, finding.run, finding.checked_at = o.breakdown, run, now
                changed.append(finding)
                if before["expected"] != values["expected"] or before["billed"] != values["billed"]:
                    events.append(_finding_event(finding, "changed", before=before, after=values))
        elif o.outcome == "clean" and finding is not None:
            transition(finding, Finding.Status.RESOLVED, subject=f"Finding #{finding.pk}")
            finding.run, finding.checked_at = run, now
            resolved.append(finding)
            events.append(_finding_event(finding, "resolved", billed=inv.billed))
    Finding.objects.bulk_create(opened, batch_size=2000)
    events += [_finding_event(f, "opened", billed=f.billed, expected=f.expected) for f in opened]
    Finding.objects.bulk_update(
        changed, [*_FINDING_FIELDS, "breakdown", "run", "checked_at"], batch_size=2000
    )
    Finding.objects.bulk_update(resolved, ["status", "run", "checked_at"], batch_size=2000)
    audit_record_many(events)
    return opened


def _finding_event(finding: Finding, what: str, **data):
    return audit_event(
        action=f"billing.finding_{what}",
        summary=f"Invoice {finding.invoice_number or finding.invoice_id}: "
        f"{finding.get_kind_display().lower()} {what}",
        actor_name="system",
        object_type="billing_finding",
        object_id=finding.pk or "",
        member_id=finding.member_id,
        data={"invoice": finding.invoice_id, "kind": finding.kind, **data},
    )
