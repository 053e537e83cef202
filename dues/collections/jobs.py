"""Background jobs of collections (common.jobs): train the late-payment model and score every
open invoice, with progress on the Jobs page. Each returns what its command prints."""

from datetime import date

from common.jobs import JobReporter, register_job
from dues.collections import permissions


@register_job(
    "dues.train_late_payment",
    label="Train the late-payment model",
    permission=permissions.MANAGE_LATE_PAYMENT_MODEL,
)
def train_job(params: dict, progress: JobReporter) -> dict:
    from dues.collections import services  # pandas and xgboost load only when needed

    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    return services.version_summary(services.late_model_train(as_of=as_of, progress=progress))


@register_job(
    "dues.score_invoices",
    label="Score open invoices for late payment",
    permission=permissions.MANAGE_LATE_PAYMENT_MODEL,
)
def score_job(params: dict, progress: JobReporter) -> dict:
    from dues.collections import services

    return services.invoices_score(csv_path=params.get("csv") or None, progress=progress)
