"""Model versions' lifecycle, shared by every predicting app: store a trained candidate with its
measurements, compare it with the rule baseline and the active version on the same validation
rows, activate it only when it is better, and let a manager activate a version by hand. Every
step is audited under the app's own action names."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.ml.metrics import evaluate
from common.states import transition


@dataclass(frozen=True)
class ModelKind:
    """How one app names and loads its versions."""

    version_model: Any  # a concrete AbstractModelVersion
    action_prefix: str  # "renewals" -> renewals.model_trained, renewals.model_activated
    what: str  # "Churn model"
    rule: str  # "the engagement rule"
    period: str  # "the latest closed cycle"
    rows: str  # "terms"
    label_column: str  # the validation frame's outcome column
    load: Callable[[Any], Any]  # version -> a BoosterModel


def headline(metrics: dict) -> dict:
    return {k: metrics.get(k) for k in ("auc", "pr_auc", "brier", "lift_top_decile", "n")}


def record_trained(kind: ModelKind, *, result, as_of, feature_spec: dict, trained_by=None):
    """Store the candidate a training produced; activate it when ``compare`` says so."""
    model_cls = kind.version_model
    with transaction.atomic():
        active = (
            model_cls.objects.select_for_update().filter(status=model_cls.Status.ACTIVE).first()
        )
        comparison = compare(kind, active, result)
        version = model_cls(
            as_of=as_of,
            data_window=result.window,
            training_size=result.training_size,
            validation_size=result.validation_size,
            metrics=result.metrics,
            baseline_metrics=result.baseline_metrics,
            importances=result.importances,
            feature_spec={**result.model.spec(), **feature_spec},
            booster=result.model.to_bytes(),
            score_histogram=result.score_histogram,
            comparison=comparison,
            seconds=result.seconds,
            trained_by=trained_by,
        )
        version.full_clean()
        version.save()
        audit_record(
            action=f"{kind.action_prefix}.model_trained",
            summary=f"{kind.what} {version.label} trained: AUC {version.auc} on {kind.period} "
            f"(baseline {version.baseline_auc})",
            actor=trained_by,
            actor_name=None if trained_by else "system",
            object_type="model_version",
            object_id=version.pk,
            data={
                "metrics": headline(result.metrics),
                "baseline": headline(result.baseline_metrics),
                "comparison": comparison,
            },
        )
        if comparison["decision"] == "activate":
            activate(kind, version, active, user=None, why=comparison["why"])
    return version


def compare(kind: ModelKind, active, result) -> dict:
    """Score the new validation rows with the active version too: the same rows, the same
    measure. The new one replaces it only with a higher AUC, and only when it beats the rule
    baseline on the validation period: a model that does not is not worth its reasons."""
    new_auc = result.metrics.get("auc")
    rule_auc = result.baseline_metrics.get("auc")
    if new_auc is None or (rule_auc is not None and new_auc <= rule_auc):
        return {
            "decision": "keep",
            "active": active.pk if active else None,
            "new_auc": new_auc,
            "baseline_auc": rule_auc,
            "why": f"AUC {new_auc} does not beat {kind.rule}'s {rule_auc} on {kind.period}",
        }
    if active is None:
        return {"decision": "activate", "why": "no version was active", "new_auc": new_auc}
    model = kind.load(active)
    frame = result.validation
    missing = [f for f in model.features if f not in frame.columns]
    if missing:
        lacks = ", ".join(missing[:3])
        return {
            "decision": "keep",
            "active": active.pk,
            "new_auc": new_auc,
            "why": f"the active {active.label} reads features this data lacks ({lacks}); "
            "a manager may activate the new one",
        }
    active_auc = evaluate(frame[kind.label_column].to_numpy(), model.probability(frame))["auc"]
    better = new_auc is not None and (active_auc is None or new_auc > active_auc)
    return {
        "decision": "activate" if better else "keep",
        "active": active.pk,
        "active_auc": active_auc,
        "new_auc": new_auc,
        "why": (
            f"AUC {new_auc} against {active_auc} for the active {active.label} on the same "
            f"{len(frame):,} {kind.rows}"
        ),
    }


def activate(kind: ModelKind, version, previous, *, user, why: str) -> None:
    status = kind.version_model.Status
    if previous is not None and previous.pk != version.pk:
        transition(previous, status.RETIRED, subject=f"Model {previous.label}")
        previous.save(update_fields=["status", "updated_at"])
    transition(version, status.ACTIVE, subject=f"Model {version.label}")
    version.activated_at, version.activated_by = timezone.now(), user
    version.save(update_fields=["status", "activated_at", "activated_by", "updated_at"])
    audit_record(
        action=f"{kind.action_prefix}.model_activated",
        summary=f"{kind.what} {version.label} activated"
        + (f", replacing {previous.label}" if previous and previous.pk != version.pk else "")
        + f": {why}",
        actor=user,
        actor_name=None if user else "system",
        object_type="model_version",
        object_id=version.pk,
        data={"previous": previous.pk if previous else None, "why": why},
    )


@transaction.atomic
def activate_chosen(kind: ModelKind, *, version_id: int, user):
    """A manager makes a version active (a candidate, or a retired one brought back)."""
    model_cls = kind.version_model
    version = model_cls.objects.select_for_update().get(pk=version_id)
    if version.status == model_cls.Status.ACTIVE:
        raise DomainError(f"Model {version.label} is already the active one.", code="active")
    previous = model_cls.objects.select_for_update().filter(status=model_cls.Status.ACTIVE).first()
    activate(kind, version, previous, user=user, why=f"chosen by {user.get_username()}")
    return version
