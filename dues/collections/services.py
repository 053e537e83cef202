"""Writes of collections: train and activate late-payment model versions, and score every open
invoice into ``InvoiceRisk``. Pages, the API, commands and jobs call these only."""

import time
from datetime import date

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.audit import audit_record
from common.csv_export import csv_write
from common.errors import DomainError
from common.ml import lifecycle
from common.ml.frames import day_number
from dues.collections.features import Thresholds, compute_features, settle
from dues.collections.frames import LateFrames, late_frames
from dues.collections.selectors import active_late_payment_model
from dues.collections.training import LatePaymentBooster, train
from dues.models import InvoiceRisk, LatePaymentModel

CSV_HEADER = ["invoice_id", "party_id", "probability"]


def thresholds() -> Thresholds:
    return Thresholds(
        late_days=settings.COLLECTIONS_LATE_DAYS, unpaid_days=settings.COLLECTIONS_UNPAID_DAYS
    )


def load_model(version: LatePaymentModel) -> LatePaymentBooster:
    return LatePaymentBooster.load(bytes(version.booster), version.feature_spec)


LATE_PAYMENT = lifecycle.ModelKind(
    version_model=LatePaymentModel,
    action_prefix="dues.collections",
    what="Late-payment model",
    rule='the "paid late last time" rule',
    period="the latest closed year of invoices",
    rows="invoices",
    label_column="late",
    load=load_model,
)


def late_model_train(
    *, as_of: date | None = None, trained_by=None, progress=None, frames: LateFrames | None = None
) -> LatePaymentModel:
    """Train a candidate as of a date; it becomes active only when it beats the rule and the
    active version on the same validation invoices."""
    as_of = as_of or timezone.localdate()
    th = thresholds()
    if frames is None:
        if progress:
            progress.stage("Reading the iMIS mirror")
        frames = late_frames()
    result = train(frames, as_of_day=day_number(as_of), th=th, progress=progress)
    return lifecycle.record_trained(
        LATE_PAYMENT,
        result=result,
        as_of=as_of,
        feature_spec={
            "late_days": th.late_days,
            "unpaid_days": th.unpaid_days,
            "reference": result.feature_reference,
        },
        trained_by=trained_by,
    )


def late_model_activate(*, version_id: int, user) -> LatePaymentModel:
    return lifecycle.activate_chosen(LATE_PAYMENT, version_id=version_id, user=user)


def _band(probability: np.ndarray) -> np.ndarray:
    return np.where(
        probability >= settings.COLLECTIONS_HIGH_RISK,
        "high",
        np.where(probability >= settings.COLLECTIONS_MEDIUM_RISK, "medium", "low"),
    )


def invoices_score(
    *, csv_path: str | None = None, frames: LateFrames | None = None, progress=None
) -> dict:
    """Score every open invoice with the active model; replace ``InvoiceRisk`` (rows of
    invoices no longer open are removed) and write the CSV when asked. Returns a summary."""
    started = time.perf_counter()
    version = active_late_payment_model()
    if version is None:
        raise DomainError(
            "No late-payment model is active: run train_late_payment_model first.",
            code="no_model",
        )
    model = load_model(version)
    th = Thresholds(
        late_days=version.feature_spec.get("late_days", settings.COLLECTIONS_LATE_DAYS),
        unpaid_days=version.feature_spec.get("unpaid_days", settings.COLLECTIONS_UNPAID_DAYS),
    )
    if frames is None:
        if progress:
            progress.stage("Reading the iMIS mirror")
        frames = late_frames()
    read = time.perf_counter()
    inv = frames.invoices
    rows = np.flatnonzero(inv["is_open"].to_numpy(bool) & (inv["balance"].to_numpy(float) > 0))
    settled = settle(frames)
    features = compute_features(frames, settled, rows, th=th)
    probability = model.probability(features) if len(rows) else np.zeros(0)
    bands = _band(probability)
    invoice_ids = inv["invoice_id"].to_numpy(object)[rows]
    party_ids = inv["sold_to_id"].to_numpy(object)[rows]
    scored = time.perf_counter()
    now = timezone.now()
    table = connection.ops.quote_name(InvoiceRisk._meta.db_table)
    remove = f"DELETE FROM {table} WHERE NOT (invoice_id = ANY(%s))"  # noqa: S608 (model's name)
    upsert = (
        f"INSERT INTO {table}"  # noqa: S608 (the model's table name)
        " (invoice_id, party_id, probability, band, model_version_id, scored_at)"
        " SELECT i, p, pr, b, %s, %s"
        " FROM unnest(%s::text[], %s::text[], %s::float8[], %s::text[]) AS t(i, p, pr, b)"
        " ON CONFLICT (invoice_id) DO UPDATE SET party_id = EXCLUDED.party_id,"
        " probability = EXCLUDED.probability, band = EXCLUDED.band,"
        " model_version_id = EXCLUDED.model_version_id, scored_at = EXCLUDED.scored_at"
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(remove, [list(invoice_ids)])
            removed = cursor.rowcount
            cursor.execute(
                upsert,
                [
                    version.pk,
                    now,
                    list(invoice_ids),
                    list(party_ids),
                    [float(p) for p in probability],
                    list(bands),
                ],
            )
        counts = {b: int((bands == b).sum()) for b in ("high", "medium", "low")}
        audit_record(
            action="dues.collections.invoices_scored",
            summary=f"{len(rows):,} open invoices scored for late payment by model "
            f"{version.label}: {counts['high']:,} high, {counts['medium']:,} medium, "
            f"{counts['low']:,} low risk",
            actor_name="system",
            object_type="model_version",
            object_id=version.pk,
            data={"scored": len(rows), "bands": counts, "removed": removed},
        )
    written = None
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            written = csv_write(
                handle,
                CSV_HEADER,
                zip(invoice_ids, party_ids, (round(float(p), 6) for p in probability), strict=True),
            )
    return {
        "model_version": version.pk,
        "scored": len(rows),
        "bands": counts,
        "removed": removed,
        "thresholds": {
            "high": settings.COLLECTIONS_HIGH_RISK,
            "medium": settings.COLLECTIONS_MEDIUM_RISK,
        },
        "csv": csv_path,
        "csv_rows": written,
        "seconds": {
            "read": round(read - started, 2),
            "score": round(scored - read, 2),
            "total": round(time.perf_counter() - started, 2),
        },
    }


def version_summary(version: LatePaymentModel) -> dict:
    return {
        "model_version": version.pk,
        "status": version.status,
        "as_of": version.as_of.isoformat(),
        "data_window": version.data_window,
        "training_size": version.training_size,
        "validation_size": version.validation_size,
        "metrics": {k: v for k, v in version.metrics.items() if k != "calibration"},
        "baseline": {k: v for k, v in version.baseline_metrics.items() if k != "calibration"},
        "calibration": version.metrics.get("calibration", []),
        "importances": version.importances[:10],
        "comparison": version.comparison,
        "seconds": version.seconds,
    }
