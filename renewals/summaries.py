"""The JSON summaries the commands print and the jobs keep as their result."""

from renewals.models import ModelVersion, ScoringRun

HEADLINE = ("n", "base_rate", "auc", "pr_auc", "brier", "lift_top_decile")


def version_summary(version: ModelVersion) -> dict:
    version.refresh_from_db(fields=["status"])
    return {
        "model_version": version.pk,
        "status": version.status,
        "as_of": version.as_of.isoformat(),
        "training_size": version.training_size,
        "validation_size": version.validation_size,
        "data_window": version.data_window,
        "metrics": {k: version.metrics.get(k) for k in HEADLINE},
        "baseline": {k: version.baseline_metrics.get(k) for k in HEADLINE},
        "auc_above_baseline": (
            round(version.auc - version.baseline_auc, 4)
            if version.auc is not None and version.baseline_auc is not None
            else None
        ),
        "calibration": version.metrics.get("calibration", []),
        "top_features": version.importances[:10],
        "comparison": version.comparison,
        "seconds": version.seconds,
    }


def run_summary(run: ScoringRun) -> dict:
    return {
        "scoring_run": run.pk,
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "model_version": run.model_version_id,
        "scored": run.scored,
        "bands": run.bands,
        "thresholds": run.thresholds,
        "drift_psi": run.drift_psi,
        "proposals": run.proposals,
        "seconds": run.seconds,
    }
