"""The baseline every model version is compared with: an engagement-percentile rule like iMIS's
own engagement scoring (points per activity over the last twelve months, ranked as a percentile;
the least engaged are taken as the most likely to lapse).

It is a ranking, not a probability: its percentiles are mapped to lapse rates by an isotonic fit
on the same training terms the model learns from, so that its Brier score and calibration can be
compared on the same validation terms.
"""

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.isotonic import IsotonicRegression

from renewals.feature_names import activity_slug

# Points per unit in the last 365 days, as a site would configure iMIS engagement scoring.
ACTIVITY_POINTS = {
    "WEBLOGIN": 1.0,
    "EMAIL_OPEN": 0.5,
    "EMAIL_CLICK": 1.0,
    "COMMUNITY": 3.0,
    "DOWNLOAD": 1.0,
    "MEETING": 2.0,
    "VOLUNTEER": 3.0,
}
EVENT_POINTS = 5.0
COMMITTEE_POINTS = 10.0


def engagement_points(features: pd.DataFrame, activity_types) -> np.ndarray:
    points = np.zeros(len(features))
    for activity_type in activity_types:
        slug, _ = activity_slug(activity_type)
        weight = ACTIVITY_POINTS.get(activity_type, 1.0)
        points += weight * np.nan_to_num(features[f"{slug}_365"].to_numpy(float))
    points += EVENT_POINTS * np.nan_to_num(features["events_365"].to_numpy(float))
    points += COMMITTEE_POINTS * np.nan_to_num(features["committees_now"].to_numpy(float))
    return points


def risk_percentile(points: np.ndarray) -> np.ndarray:
    """1 - the engagement percentile: 1.0 for the least engaged member, near 0 for the most."""
    if len(points) == 0:
        return points
    return 1.0 - (rankdata(points, method="average") - 0.5) / len(points)


def fit_and_score(train_points, train_y, valid_points) -> np.ndarray:
    """Lapse probabilities of the validation terms from their engagement percentile."""
    mapping = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    mapping.fit(risk_percentile(np.asarray(train_points)), np.asarray(train_y, dtype=float))
    return mapping.predict(risk_percentile(np.asarray(valid_points)))
