"""Scoring: every active member whose renewal is near gets a lapse probability, a band, the
reasons in plain language and a next best action, all computed in bulk."""

import numpy as np
import pandas as pd

from renewals.churn_model import ChurnModel
from renewals.conf import RenewalSettings
from renewals.features import compute_features
from renewals.reasons import next_action, top_reasons
from renewals.selectors import MirrorFrames


def members_to_score(
    frames: MirrorFrames, *, as_of_day: int, horizon_days: int, grace_days: int
) -> pd.DataFrame:
    """Active members paid through a date between ``grace_days`` ago and ``horizon_days`` ahead
    who have not yet paid the renewal, with the renewal invoice when it has been issued.

    Columns: m, day (the as-of day), inv (-1: not billed yet), paid_thru_day.
    """
    parties = frames.parties
    paid_thru = parties["paid_thru_day"].to_numpy(float)
    active = parties["status"].str.upper().str.startswith("A").to_numpy(bool)
    member = parties["is_member"].fillna(False).to_numpy(bool)
    near = (paid_thru >= as_of_day - grace_days) & (paid_thru <= as_of_day + horizon_days)
    chosen = np.flatnonzero(active & member & near)
    snaps = pd.DataFrame({"m": chosen, "day": as_of_day, "paid_thru_day": paid_thru[chosen]})
    # The renewal invoice of the coming term: due within a month of the paid-through date.
    invoices = frames.invoices
    renewal = invoices[invoices["renewal"] & (invoices["invoice_day"] <= as_of_day)]
    renewal = renewal.assign(inv=renewal.index)
    matched = snaps.merge(renewal[["m", "due_day", "inv"]], on="m", how="left")
    close = (matched["due_day"] - matched["paid_thru_day"]).abs() <= 31
    matched = matched[close].sort_values("inv").drop_duplicates("m", keep="last")
    snaps = snaps.merge(matched[["m", "inv"]], on="m", how="left")
    snaps["inv"] = snaps["inv"].fillna(-1).astype(np.int64)
    # A renewal already paid in full (the paid-through date not yet moved in iMIS) is done.
    full = frames.settlement["full_day"].to_numpy(float)
    paid = (snaps["inv"] >= 0) & (full[np.maximum(snaps["inv"], 0)] < as_of_day + 1)
    return snaps[~paid.to_numpy()].reset_index(drop=True)


def score_members(
    frames: MirrorFrames,
    model: ChurnModel,
    snaps: pd.DataFrame,
    *,
    data_day: int,
    conf: RenewalSettings,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Probability, band, reasons and next action for each snapshot (same order); ``features``
    of the snapshots when already computed."""
    if features is None:
        features = compute_features(frames, snaps, data_day=data_day, config=conf.features)
    probability, contributions = model.explain(features)
    names = model.features
    reasons = top_reasons(features[names], contributions, names)
    bands = np.where(
        probability >= conf.high_risk,
        "high",
        np.where(probability >= conf.medium_risk, "medium", "low"),
    )
    parties = frames.parties
    m = snaps["m"].to_numpy(np.int64)
    invoices = frames.invoices
    inv = snaps["inv"].to_numpy(np.int64)
    invoice_id = np.where(inv >= 0, invoices["invoice_id"].to_numpy(object)[np.maximum(inv, 0)], "")
    return pd.DataFrame(
        {
            "member_id": parties["imis_id"].to_numpy(object)[m],
            "chapter": parties["chapter"].to_numpy(object)[m],
            "member_type": features["member_type"].to_numpy(object),
            "paid_thru_day": snaps["paid_thru_day"].to_numpy(np.int64),
            "invoice_id": invoice_id,
            "dues_amount": features["dues_amount"].to_numpy(float),
            "probability": probability,
            "band": bands,
            "reasons": reasons,
            "next_action": [next_action(b, r) for b, r in zip(bands, reasons, strict=True)],
        }
    )
