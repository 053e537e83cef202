"""The metrics every model version is judged by (AUC, PR-AUC, Brier, top-decile lift and a
calibration table), Platt calibration, and the distributions that drift is measured against."""

import json

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


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
