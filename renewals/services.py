"""Writes of renewals: train and activate model versions, run a scoring, file the proposals that
follow from it, and close outreach tasks. Pages, the API, commands and jobs call these only."""

import time
import traceback
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.ml import lifecycle
from common.states import transition
from renewals import kinds
from renewals.analysis import cycle_analysis
from renewals.churn_model import (
    ChurnModel,
    feature_drift,
    histogram,
    population_stability,
)
from renewals.conf import renewal_settings
from renewals.features import compute_features, prepare
from renewals.models import ModelVersion, OutreachTask, RenewalScore, ScoringRun
from renewals.scoring import members_to_score, score_members
from renewals.selectors import MirrorFrames, day_date, day_number, mirror_frames
from renewals.training import train
from reviews.services import review_item_propose


def load_frames(conf=None) -> MirrorFrames:
    conf = conf or renewal_settings()
    return prepare(
        mirror_frames(
            activity_types=list(conf.engagement_types),
            payment_types=list(conf.payment_types),
            failure_types=list(conf.failure_types),
        ),
        grace_days=conf.grace_days,
    )


def load_model(version: ModelVersion) -> ChurnModel:
    return ChurnModel.load(bytes(version.booster), version.feature_spec)


CHURN = lifecycle.ModelKind(
    version_model=ModelVersion,
    action_prefix="renewals",
    what="Churn model",
    rule="the engagement rule",
    period="the latest closed cycle",
    rows="terms",
    label_column="lapsed",
    load=load_model,
)


def active_model_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()


# --- model versions ----------------------------------------------------------------------------


def model_version_train(
    *, as_of: date | None = None, trained_by=None, progress=None, frames=None, result=None
) -> ModelVersion:
    """Train a candidate on the closed cycles as of a date, measure it, and make it active when
    it beats the engagement rule and the active version on the same validation terms (or when
    none is active). ``result``: a training already run on these frames (benchmarks)."""
    conf = renewal_settings()
    as_of = as_of or timezone.localdate()
    if result is None:
        if progress:
            progress.stage("Reading the iMIS mirror")
        frames = frames or load_frames(conf)
        result = train(frames, as_of_day=day_number(as_of), config=conf.features, progress=progress)
    return lifecycle.record_trained(
        CHURN,
        result=result,
        as_of=as_of,
        feature_spec={
            "activity_types": list(conf.engagement_types),
            "grace_days": conf.grace_days,
            "reference": result.feature_reference,
        },
        trained_by=trained_by,
    )


def _compare(active: ModelVersion | None, result) -> dict:
    return lifecycle.compare(CHURN, active, result)


def model_version_activate(*, version_id: int, user) -> ModelVersion:
    """A manager makes a version active (a candidate, or a retired one brought back)."""
    return lifecycle.activate_chosen(CHURN, version_id=version_id, user=user)


# --- scoring -----------------------------------------------------------------------------------


def scoring_run_execute(
    *,
    as_of: date | None = None,
    requested_by=None,
    progress=None,
    propose: bool = True,
    frames=None,
) -> ScoringRun:
    """Score every member whose renewal is near with the active model, keep the scores, then
    file the outreach, win-back and write-back proposals that follow."""
    version = active_model_version()
    if version is None:
        raise DomainError(
            "No churn model is active yet: train one (python manage.py train_churn_model, or "
            "Train on the Models page) before scoring.",
            code="no_model",
        )
    conf = renewal_settings()
    as_of = as_of or timezone.localdate()
    run = ScoringRun.objects.create(
        as_of=as_of,
        model_version=version,
        horizon_days=conf.horizon_days,
        thresholds={"high": conf.high_risk, "medium": conf.medium_risk},
        requested_by=requested_by,
    )
    started = time.perf_counter()
    try:
        if progress:
            progress.stage("Reading the iMIS mirror")
        frames = frames or load_frames(conf)
        day = day_number(as_of)
        snaps = members_to_score(
            frames, as_of_day=day, horizon_days=conf.horizon_days, grace_days=conf.grace_days
        )
        if progress:
            progress.stage("Scoring members", total=len(snaps))
        features = compute_features(frames, snaps, data_day=day, config=conf.features)
        scored = score_members(
            frames, load_model(version), snaps, data_day=day, conf=conf, features=features
        )
        analysis = cycle_analysis(frames, as_of_day=day, config=conf.features)
        # Which inputs moved since training: the members scored against the training data.
        reference = version.feature_spec.get("reference") or {}
        analysis["feature_drift"] = feature_drift(reference, features)[:15] if reference else []
        names = frames.parties["name"].to_numpy(object)[snaps["m"].to_numpy(np.int64)]
        with transaction.atomic():
            _store_scores(run, version, scored, names, as_of)
            probabilities = scored["probability"].to_numpy(float)
            run.histogram = histogram(probabilities)
            run.drift_psi = population_stability(version.score_histogram, run.histogram)
            run.scored = len(scored)
            run.analysis = analysis
            run.bands = {b: int((scored["band"] == b).sum()) for b in ("high", "medium", "low")}
            run.seconds = round(time.perf_counter() - started, 2)
            transition(run, ScoringRun.Status.SUCCEEDED, subject=f"Scoring run #{run.pk}")
            run.save()
            audit_record(
                action="renewals.scored",
                summary=f"Scored {run.scored:,} members with model {version.label}: "
                f"{run.bands['high']:,} high, {run.bands['medium']:,} medium risk",
                actor=requested_by,
                actor_name=None if requested_by else "system",
                object_type="scoring_run",
                object_id=run.pk,
                data={"bands": run.bands, "drift_psi": run.drift_psi},
            )
    except Exception as exc:
        ScoringRun.objects.filter(pk=run.pk).update(
            status=ScoringRun.Status.FAILED,
            error=f"{exc}\n\n{traceback.format_exc()}"[:5000],
            seconds=round(time.perf_counter() - started, 2),
        )
        raise
    if propose:
        if progress:
            progress.stage("Filing outreach and win-back proposals", total=run.scored)
        run.proposals = proposals_file(run=run, today=as_of, progress=progress)
        run.save(update_fields=["proposals", "updated_at"])
    return run


def _store_scores(run, version, scored: pd.DataFrame, names, as_of: date) -> None:
    rows = []
    for i, row in enumerate(scored.itertuples(index=False)):
        dues = row.dues_amount
        rows.append(
            RenewalScore(
                run=run,
                model_version=version,
                member_id=row.member_id,
                member_name=(names[i] or "")[:300],
                chapter=row.chapter or "",
                member_type=row.member_type or "",
                paid_thru=day_date(row.paid_thru_day),
                invoice_id=row.invoice_id or "",
                dues_amount=None if dues != dues else Decimal(str(round(dues, 2))),
                probability=Decimal(f"{row.probability:.4f}"),
                band=row.band,
                reasons=row.reasons,
                next_action=row.next_action[:200],
                scored_on=as_of,
            )
        )
    RenewalScore.objects.bulk_create(rows, batch_size=2000)


def proposals_file(*, run: ScoringRun, today: date, progress=None) -> dict:
    """Outreach for the run's members, win-back for the recently lapsed, and one write-back of
    the scores to iMIS (which a manager may set to Auto)."""
    from renewals.outreach import propose_for_run
    from renewals.winback import propose_win_backs

    conf = renewal_settings()
    counts = dict(propose_for_run(run, conf=conf, today=today, progress=progress))
    counts.update(propose_win_backs(today=today, conf=conf, job=f"renewals scoring run {run.pk}"))
    if run.scored:
        review_item_propose(
            kind=kinds.WRITEBACK,
            title=f"Write {run.scored:,} renewal risk scores to iMIS",
            payload={"run": run.pk, "members": run.scored},
            summary=f"Scoring run #{run.pk} as of {run.as_of}: {run.bands.get('high', 0):,} high"
            f", {run.bands.get('medium', 0):,} medium, {run.bands.get('low', 0):,} low risk. "
            "Only members whose band changed since iMIS last heard are written.",
            confidence=Decimal("1"),
            priority=5,
            proposed_by_job=f"renewals scoring run {run.pk}",
            dedupe_key=f"renewal-writeback:{run.pk}",
        )
        counts["writeback"] = 1
    return counts


# --- outreach tasks ----------------------------------------------------------------------------


@transaction.atomic
def outreach_task_complete(*, task_id: int, user, outcome: str = "") -> OutreachTask:
    task = OutreachTask.objects.select_for_update().get(pk=task_id)
    if task.staff_id != user.pk:
        raise DomainError("This call is on someone else's list; only they can close it.")
    transition(task, OutreachTask.Status.DONE, subject=f"The call to {task.member_name}")
    task.outcome, task.done_at = outcome.strip()[:2000], timezone.now()
    task.full_clean()
    task.save()
    audit_record(
        action="renewals.task_done",
        summary=f"{task.title}: done",
        actor=user,
        object_type="outreach_task",
        object_id=task.pk,
        member_id=task.member_id,
        data={"outcome": task.outcome[:300]},
    )
    return task
