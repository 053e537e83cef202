"""The churn model as an object: an XGBoost booster, its Platt calibration and its feature spec,
stored as bytes and JSON on a ModelVersion; plus the metrics every version is judged by.

Probabilities are calibrated with Platt scaling (a logistic fit on the booster's margin), which
keeps the ranking (and so the AUC) of the booster and lets per-member contributions, computed in
margin space, be scaled into the same units.
"""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from renewals.features import CATEGORICAL

UNKNOWN = "(other)"


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass
class ChurnModel:
    booster: xgb.Booster
    features: list[str]
    categories: dict[str, list[str]]
    platt: tuple[float, float] = (1.0, 0.0)

    # -- storage -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return bytes(self.booster.save_raw(raw_format="ubj"))

    def spec(self) -> dict:
        return {"features": self.features, "categories": self.categories, "platt": list(self.platt)}

    @classmethod
    def load(cls, raw: bytes, spec: dict) -> "ChurnModel":
        booster = xgb.Booster(params={"nthread": 2})
        booster.load_model(bytearray(raw))
        return cls(
            booster=booster,
            features=spec["features"],
            categories=spec["categories"],
            platt=tuple(spec.get("platt", (1.0, 0.0))),
        )

    # -- prediction ----------------------------------------------------------------------
    def matrix(self, features: pd.DataFrame, label=None) -> xgb.DMatrix:
        return xgb.DMatrix(
            encode(features[self.features], self.categories),
            label=label,
            enable_categorical=True,
            nthread=2,
        )

    def margin(self, features: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(self.matrix(features), output_margin=True)

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        a, b = self.platt
        return sigmoid(a * self.margin(features) + b)

    def explain(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated probabilities, per-feature contributions in calibrated-logit units).

        Contributions are XGBoost's pred_contribs along each member's own path through the
        trees (approx_contribs: Saabas attribution). Like exact tree SHAP they add up to the
        member's margin; exact SHAP took 52 s against 4 s for 96,000 members on two cores.
        The last column of XGBoost's output is the bias and is dropped.
        """
        a, b = self.platt
        contribs = self.booster.predict(
            self.matrix(features), pred_contribs=True, approx_contribs=True
        )
        margin = contribs.sum(axis=1)
        return sigmoid(a * margin + b), a * contribs[:, :-1]


def encode(features: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """Numbers as float; categorical columns as pandas categories fixed at training."""
    encoded = features.copy()
    for name in features.columns:
        if name in CATEGORICAL:
            known = categories.get(name, [])
            values = features[name].astype(object).where(features[name].isin(known), UNKNOWN)
            encoded[name] = pd.Categorical(values, categories=[*known, UNKNOWN])
        else:
            encoded[name] = pd.to_numeric(features[name], errors="coerce").astype(float)
    return encoded


def category_lists(features: pd.DataFrame, *, min_count: int = 20) -> dict[str, list[str]]:
    """Categories seen at least ``min_count`` times in training; rarer ones become (other)."""
    lists = {}
    for name in CATEGORICAL:
        counts = features[name].astype(object).value_counts()
        lists[name] = sorted(str(v) for v, n in counts.items() if n >= min_count and v != "")
    return lists


# --- metrics ------------------------------------------------------------------------------------


def evaluate(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> dict:
    """AUC, PR-AUC, Brier score, lift in the top decile and a calibration table."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    base = float(y.mean()) if len(y) else 0.0
    if len(y) == 0 or y.min() == y.max():
        return {
            "n": len(y),
            "base_rate": round(base, 4),
            "auc": None,
            "pr_auc": None,
            "brier": None,
            "lift_top_decile": None,
            "calibration": [],
        }
    order = np.argsort(-p, kind="stable")
    top = order[: max(1, len(y) // 10)]
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            table.append(
                {
                    "bin": b + 1,
                    "n": int(mask.sum()),
                    "predicted": round(float(p[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4),
                }
            )
    return {
        "n": len(y),
        "base_rate": round(base, 4),
        "auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "lift_top_decile": round(float(y[top].mean() / base), 3) if base else None,
        "calibration": table,
    }


def fit_platt(margin: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Logistic regression of the outcome on the booster's margin (two parameters)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y.astype(int))
    return float(fit.coef_[0][0]), float(fit.intercept_[0])


def histogram(p: np.ndarray, *, bins: int = 20) -> list[int]:
    """Counts of probabilities in equal-width bins over [0, 1] (for drift)."""
    counts, _ = np.histogram(np.clip(p, 0, 1), bins=bins, range=(0.0, 1.0))
    return [int(c) for c in counts]


def population_stability(expected: list[int], actual: list[int]) -> float | None:
    """PSI between two histograms over the same bins: < 0.1 stable, > 0.25 shifted."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.sum() == 0 or a.sum() == 0 or len(e) != len(a):
        return None
    e = np.clip(e / e.sum(), 1e-4, None)
    a = np.clip(a / a.sum(), 1e-4, None)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def dumps(value) -> str:
    return json.dumps(value, default=float)


DRIFT_BINS = 10


def feature_reference(frame, names: list[str]) -> dict:
    """Per numeric feature, the deciles of the training data and how many rows fell in each
    (and how many were unknown): what later scoring runs are compared against."""
    out = {}
    for name in names:
        if name not in frame or not pd.api.types.is_numeric_dtype(frame[name]):
            continue  # member type and chapter: categories, not measured here
        values = np.asarray(frame[name], dtype=float)
        known = values[~np.isnan(values)]
        if len(known) < 20:
            continue
        edges = np.unique(np.quantile(known, np.linspace(0, 1, DRIFT_BINS + 1))[1:-1])
        counts = np.bincount(np.searchsorted(edges, known, side="right"), minlength=len(edges) + 1)
        out[name] = {
            "edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts] + [int(np.isnan(values).sum())],
        }
    return out


def feature_drift(reference: dict, frame) -> list[dict]:
    """PSI of each feature of ``frame`` against the training reference, largest first."""
    rows = []
    for name, ref in reference.items():
        if name not in frame:
            continue
        values = np.asarray(frame[name], dtype=float)
        known = values[~np.isnan(values)]
        edges = np.asarray(ref["edges"], dtype=float)
        counts = np.bincount(np.searchsorted(edges, known, side="right"), minlength=len(edges) + 1)
        actual = [int(c) for c in counts] + [int(np.isnan(values).sum())]
        psi = population_stability(ref["counts"], actual)
        if psi is not None:
            rows.append({"feature": name, "psi": psi})
    rows.sort(key=lambda r: -r["psi"])
    return rows
