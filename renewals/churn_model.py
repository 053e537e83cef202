"""The churn model: the shared booster model (common.ml) with the renewal features' categorical
columns (member type, chapter). Metrics, calibration and drift come from common.ml too."""

from common.ml import booster as _booster
from common.ml.booster import UNKNOWN, BoosterModel, sigmoid
from common.ml.metrics import (
    DRIFT_BINS,
    dumps,
    evaluate,
    feature_drift,
    feature_reference,
    fit_platt,
    histogram,
    population_stability,
)
from renewals.feature_names import CATEGORICAL

__all__ = [
    "DRIFT_BINS",
    "UNKNOWN",
    "ChurnModel",
    "category_lists",
    "dumps",
    "encode",
    "evaluate",
    "feature_drift",
    "feature_reference",
    "fit_platt",
    "histogram",
    "population_stability",
    "sigmoid",
]


class ChurnModel(BoosterModel):
    categorical = CATEGORICAL


def encode(features, categories):
    return _booster.encode(features, categories, CATEGORICAL)


def category_lists(features, *, min_count: int = 20) -> dict:
    return _booster.category_lists(features, CATEGORICAL, min_count=min_count)
