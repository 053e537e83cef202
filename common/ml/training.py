"""Training steps every model shares: a stable held-back share of subjects for early stopping
and calibration, boosting with early stopping and Platt scaling, gain importances, progress
reporting and the seconds each step took. Time-based validation is the caller's: it passes the
rows of the older period to ``fit_booster`` and measures on the newer one only."""

import time
import zlib

import numpy as np
import pandas as pd
import xgboost as xgb

from common.ml.booster import BoosterModel
from common.ml.metrics import fit_platt

PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 4,
    "eta": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 10,
    "lambda": 2.0,
    "max_cat_to_onehot": 64,  # one-vs-rest splits: partitions of many categories overfit
    "nthread": 2,
    "seed": 7,
}
MAX_ROUNDS = 600
EARLY_STOP = 30


def held_back(subject_ids: pd.Series, share: float = 0.2) -> np.ndarray:
    """A stable pseudo-random share of subjects (CRC32 of the id), independent of row order:
    all rows of one subject fall on one side."""
    hashes = subject_ids.map(lambda s: zlib.crc32(str(s).encode())).to_numpy(np.int64)
    return (hashes % 1000) < share * 1000


def fit_booster(
    model: BoosterModel,
    train_x: pd.DataFrame,
    train_y: np.ndarray,
    subject_ids: pd.Series,
    *,
    params: dict | None = None,
    max_rounds: int = MAX_ROUNDS,
    early_stop: int = EARLY_STOP,
    progress=None,
) -> BoosterModel:
    """Boost on four fifths of the subjects, stop early and fit the Platt calibration on the
    held-back fifth; sets ``model.booster`` and ``model.platt`` and returns the model."""
    held = held_back(subject_ids)
    fit_x, stop_x = train_x[~held], train_x[held]
    fit_y, stop_y = train_y[~held], train_y[held]
    d_fit = model.matrix(fit_x, label=fit_y)
    d_stop = model.matrix(stop_x, label=stop_y)
    callbacks: list[xgb.callback.TrainingCallback] = [
        xgb.callback.EarlyStopping(rounds=early_stop, save_best=True)
    ]
    if progress:
        callbacks.append(BoostingProgress(progress))
    model.booster = xgb.train(
        params or PARAMS,
        d_fit,
        num_boost_round=max_rounds,
        evals=[(d_stop, "held_back")],
        callbacks=callbacks,
        verbose_eval=False,
    )
    model.platt = fit_platt(model.margin(stop_x), stop_y)
    return model


def gain_importances(booster: xgb.Booster, names: list[str]) -> list[dict]:
    """Share of total gain per feature, as a list largest first (a JSON object would lose the
    order in the database)."""
    # total_gain gives one number per feature (lists are for multi-output models)
    gains = {
        name: float(value) if not isinstance(value, list) else float(sum(value))
        for name, value in booster.get_score(importance_type="total_gain").items()
    }
    total_gain = sum(gains.values()) or 1.0
    return [
        {"feature": name, "share": round(gains.get(name, 0.0) / total_gain, 4)}
        for name in sorted(names, key=lambda n: -gains.get(n, 0.0))
    ]


class Stopwatch:
    """Seconds each named step took: ``lap("features")`` after each one, ``steps()`` at the end."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 2)
        self.last = now

    def steps(self) -> dict[str, float]:
        return dict(self.laps)


class BoostingProgress(xgb.callback.TrainingCallback):
    """Reports boosting rounds to the job's progress row."""

    def __init__(self, progress) -> None:
        super().__init__()
        self.progress = progress

    def after_iteration(self, model, epoch, evals_log) -> bool:
        self.progress.advance(1, message=f"round {epoch + 1}")
        return False
