"""Training the late-payment model with time-based validation: learn from invoices due before
the validation year, measure on the invoices due in the latest closed year (their outcome known
as of the training date), which the model never saw, against the rule "paid late last time".

Booster, calibration, metrics and the held-back early-stopping share are common.ml's, as for the
churn model.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from common.errors import DomainError
from common.ml.booster import BoosterModel, category_lists
from common.ml.frames import day_date
from common.ml.metrics import evaluate, feature_reference, histogram
from common.ml.training import MAX_ROUNDS, Stopwatch, fit_booster, gain_importances
from dues.collections.features import (
    CATEGORICAL,
    FEATURES,
    Thresholds,
    compute_features,
    labels,
    settle,
)
from dues.collections.frames import LateFrames

MIN_INVOICES = 200
VALIDATION_DAYS = 365


class LatePaymentBooster(BoosterModel):
    categorical = CATEGORICAL


@dataclass
class LateTrainingResult:
    model: LatePaymentBooster
    metrics: dict
    baseline_metrics: dict
    importances: list[dict]
    window: dict
    training_size: int
    validation_size: int
    score_histogram: list[int]
    seconds: dict = field(default_factory=dict)
    validation: pd.DataFrame | None = None  # features, label "late" and probability
    feature_reference: dict = field(default_factory=dict)


def rule_baseline(train_last: np.ndarray, train_y: np.ndarray, last: np.ndarray) -> np.ndarray:
    """ "Paid late last time": the late rate of training invoices whose payer was late on the
    previous one, was not, or had none, given to each validation invoice by the same test."""

    def group(values):
        return np.where(np.isnan(values), 2, values.astype(float).clip(0, 1)).astype(int)

    g_train, g = group(train_last), group(last)
    overall = float(train_y.mean()) if len(train_y) else 0.0
    rates = np.array(
        [float(train_y[g_train == k].mean()) if (g_train == k).any() else overall for k in range(3)]
    )
    return rates[g]


def train(
    frames: LateFrames, *, as_of_day: int, th: Thresholds, progress=None
) -> LateTrainingResult:
    clock = Stopwatch()
    settled = settle(frames)
    late, known = labels(frames, settled, as_of_day=as_of_day, th=th)
    due = frames.invoices["due_day"].to_numpy(float)
    valid_to = as_of_day - th.known_after  # due before this: outcome known
    valid_from = valid_to - VALIDATION_DAYS
    in_valid = known & (due >= valid_from) & (due < valid_to)
    in_train = known & (due < valid_from)
    if in_train.sum() < MIN_INVOICES or in_valid.sum() < MIN_INVOICES // 4:
        raise DomainError(
            f"Not enough invoices with a known outcome to train: {int(in_train.sum())} due "
            f"before {day_date(valid_from)} and {int(in_valid.sum())} due in the year after "
            f"(at least {MIN_INVOICES} and {MIN_INVOICES // 4} are needed). Sync more history "
            "from iMIS first."
        )
    rows_train, rows_valid = np.flatnonzero(in_train), np.flatnonzero(in_valid)
    if progress:
        progress.stage("Computing point-in-time features", total=2)
    train_x = compute_features(frames, settled, rows_train, th=th)
    valid_x = compute_features(frames, settled, rows_valid, th=th)
    train_y, valid_y = late[rows_train], late[rows_valid]
    clock.lap("features")
    if progress:
        progress.advance(2)
        progress.stage("Training the model", total=MAX_ROUNDS)
    model = LatePaymentBooster(
        booster=None, features=list(FEATURES), categories=category_lists(train_x, CATEGORICAL)
    )
    payers = pd.Series(frames.invoices["payer"].to_numpy()[rows_train])
    fit_booster(model, train_x, train_y, payers, progress=progress)
    clock.lap("training")
    probability = model.probability(valid_x)
    metrics = evaluate(valid_y, probability)
    base_p = rule_baseline(
        train_x["last_late"].to_numpy(float), train_y, valid_x["last_late"].to_numpy(float)
    )
    baseline_metrics = evaluate(valid_y, base_p)
    clock.lap("evaluation")
    window = {
        "as_of": day_date(as_of_day).isoformat(),
        "late_days": th.late_days,
        "unpaid_days": th.unpaid_days,
        "train_due_from": day_date(due[rows_train].min()).isoformat(),
        "train_due_to": day_date(due[rows_train].max()).isoformat(),
        "validation_due_from": day_date(due[rows_valid].min()).isoformat(),
        "validation_due_to": day_date(due[rows_valid].max()).isoformat(),
        "boosting_rounds": int(model.booster.best_iteration + 1),
    }
    validation = valid_x.assign(
        late=valid_y,
        probability=probability,
        invoice_id=frames.invoices["invoice_id"].to_numpy(object)[rows_valid],
    )
    return LateTrainingResult(
        model=model,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        importances=gain_importances(model.booster, list(FEATURES)),
        window=window,
        training_size=len(rows_train),
        validation_size=len(rows_valid),
        score_histogram=histogram(probability),
        seconds=clock.steps(),
        validation=validation,
        feature_reference=feature_reference(train_x, list(FEATURES)),
    )
