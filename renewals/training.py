"""Training with time-based validation: learn from older renewal cycles, measure on the latest
closed one, which the model never saw, against the engagement-percentile baseline.

Within the training cycles a fifth of the members (chosen by a hash of their id, so all of a
member's terms fall on one side) is held back to stop boosting early and to fit the Platt
calibration; the validation cycle is touched only to measure.
"""

import numpy as np
import pandas as pd

from common.errors import DomainError
from common.ml.training import (
    MAX_ROUNDS,
    Stopwatch,
    TrainingResult,
    fit_booster,
    gain_importances,
)
from renewals import baseline
from renewals.churn_model import (
    ChurnModel,
    category_lists,
    evaluate,
    feature_reference,
    histogram,
)
from renewals.feature_names import FeatureConfig
from renewals.features import compute_features
from renewals.labels import renewal_terms
from renewals.selectors import MirrorFrames, day_date

MIN_TERMS = 200


def train(
    frames: MirrorFrames,
    *,
    as_of_day: int,
    config: FeatureConfig,
    max_cycles: int = 4,
    progress=None,
) -> TrainingResult:
    """Train on closed cycles 1..max_cycles, validate on cycle 0 (the latest closed one)."""
    clock = Stopwatch()
    terms = renewal_terms(frames, as_of_day=as_of_day, grace_days=config.grace_days)
    terms = terms[terms["closed"] & (terms["cycle"] <= max_cycles)].reset_index(drop=True)
    valid_mask = terms["cycle"].to_numpy() == 0
    train_mask = ~valid_mask
    if train_mask.sum() < MIN_TERMS or valid_mask.sum() < MIN_TERMS // 4:
        raise DomainError(
            f"Not enough closed renewal terms to train: {int(train_mask.sum())} in older cycles "
            f"and {int(valid_mask.sum())} in the latest closed one (at least {MIN_TERMS} and "
            f"{MIN_TERMS // 4} are needed). Sync more history from iMIS first."
        )
    y = 1.0 - terms["renewed"].to_numpy(float)  # 1 = lapsed
    if progress:
        progress.stage("Computing point-in-time features", total=len(terms))
    features = compute_features(frames, terms, data_day=as_of_day, config=config)
    clock.lap("features")
    if progress:
        progress.advance(len(terms))
        progress.stage("Training the model", total=MAX_ROUNDS)

    train_x = features[train_mask]
    categories = category_lists(train_x)
    model = ChurnModel(booster=None, features=config.names(), categories=categories)
    fit_booster(
        model, train_x, y[train_mask], terms.loc[train_mask, "member_id"], progress=progress
    )
    clock.lap("training")
    if progress:
        progress.stage("Measuring on the latest closed cycle", total=2)

    valid_x = features[valid_mask]
    valid_y = y[valid_mask]
    probability = model.probability(valid_x)
    metrics = evaluate(valid_y, probability)
    points_train = baseline.engagement_points(train_x, config.activity_types)
    points_valid = baseline.engagement_points(valid_x, config.activity_types)
    base_p = baseline.fit_and_score(points_train, y[train_mask], points_valid)
    baseline_metrics = evaluate(valid_y, base_p)
    ranking = evaluate(valid_y, baseline.risk_percentile(points_valid))
    for key in ("auc", "pr_auc", "lift_top_decile"):
        baseline_metrics[key] = ranking[key]
    metrics["by_member_type"] = _by_member_type(valid_x["member_type"], valid_y, probability)
    clock.lap("evaluation")
    if progress:
        progress.advance(2)

    importances = gain_importances(model.booster, config.names())
    train_terms, valid_terms = terms[train_mask], terms[valid_mask]
    window = {
        "as_of": day_date(as_of_day).isoformat(),
        "grace_days": config.grace_days,
        "train_due_from": day_date(train_terms["due_day"].min()).isoformat(),
        "train_due_to": day_date(train_terms["due_day"].max()).isoformat(),
        "validation_due_from": day_date(valid_terms["due_day"].min()).isoformat(),
        "validation_due_to": day_date(valid_terms["due_day"].max()).isoformat(),
        "train_cycles": sorted(int(c) for c in train_terms["cycle"].unique()),
        "boosting_rounds": int(model.booster.best_iteration + 1),
    }
    validation = valid_terms.assign(lapsed=valid_y, probability=probability)
    validation = pd.concat([validation, valid_x], axis=1)
    return TrainingResult(
        model=model,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        importances=importances,
        window=window,
        training_size=int(train_mask.sum()),
        validation_size=int(valid_mask.sum()),
        score_histogram=histogram(probability),
        seconds=clock.steps(),
        validation=validation,
        feature_reference=feature_reference(train_x, config.names()),
    )


def _by_member_type(member_type: pd.Series, y: np.ndarray, p: np.ndarray) -> dict:
    """AUC and base rate on the validation cycle for each member type (organisations too)."""
    out = {}
    types = member_type.fillna("").astype(str).to_numpy()
    for code in sorted(set(types)):
        mask = types == code
        measured = evaluate(y[mask], p[mask])
        out[code or "(none)"] = {k: measured[k] for k in ("n", "base_rate", "auc")}
    return out
