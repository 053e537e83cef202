"""Background jobs of renewals (common.jobs): training and scoring, with progress on the Jobs
page. Each returns the JSON summary its management command prints."""

from datetime import date

from common.jobs import JobReporter, register_job
from renewals import permissions
from renewals.summaries import run_summary, version_summary


@register_job("renewals.train", label="Train the churn model", permission=permissions.MANAGE_MODELS)
def train_job(params: dict, progress: JobReporter) -> dict:
    from renewals import services  # pandas and xgboost load only when a job needs them

    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    version = services.model_version_train(as_of=as_of, progress=progress)
    return version_summary(version)


@register_job("renewals.score", label="Score renewals", permission=permissions.MANAGE_MODELS)
def score_job(params: dict, progress: JobReporter) -> dict:
    from renewals import services

    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    run = services.scoring_run_execute(as_of=as_of, progress=progress)
    return run_summary(run)
