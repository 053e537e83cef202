"""Point-in-time features and labels of the late-payment model.

Every invoice is described as of the day it was issued (``snapshot day``): its payer's earlier
invoices count only for what was known that day (paid before it, or already overdue past the
late threshold), card failures and engagement only before it. Nothing that happened on or after
the snapshot day reaches the features, so an invoice's outcome never leaks into its own row;
tests/dues/collections/test_late_model.py checks it by deleting later payments.

An invoice is **late** when it was paid in full more than ``late_days`` after its due date, or
was not paid in full ``unpaid_days`` after it. Its label is known once ``max(late_days,
unpaid_days)`` days have passed since the due date (and the day it was paid is on record).
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dues.collections.frames import LateFrames

CENT = 0.005
LAGS = 3  # earlier invoices of the same payer looked at
CATEGORICAL = ("purpose", "member_type")
FEATURES = [
    "amount",
    "amount_vs_past",
    "price_rise",
    "billed_other",
    "payer_is_org",
    "purpose",
    "member_type",
    "tenure_years",
    "days_to_due",
    "prev_invoices",
    "last_late",
    "prev_late_share",
    "prev_days_late",
    "prev_unpaid_now",
    "card_failures_365",
    "autopay",
    "engagement_180",
    "engagement_trend",
]
KEY = 100_000  # day numbers stay below it until the year 2243


@dataclass(frozen=True)
class Thresholds:
    late_days: int = 30
    unpaid_days: int = 60

    @property
    def known_after(self) -> int:
        return max(self.late_days, self.unpaid_days)


def settle(frames: LateFrames) -> pd.DataFrame:
    """Per invoice (same index): ``owed``, ``full_day`` (paid in full, NaN: not on record) and
    ``undated`` (the invoice says it is paid but no dated payment shows when).

    Each dated payment goes to its payer's latest invoice issued on or before it (the first one
    when it came before any); cumulative payments reaching what is owed settle the invoice."""
    inv = frames.invoices
    amount = inv["amount"].to_numpy(float)
    owed = np.clip(amount + np.minimum(inv["adjustment"].to_numpy(float), 0), 0, None)
    full = np.full(len(inv), np.nan)
    pays = frames.payments
    if len(inv) and len(pays):
        keys = inv[["payer", "invoice_day"]].assign(row=np.arange(len(inv)))
        keys = keys.sort_values("invoice_day", kind="stable")
        ordered = pays.rename(columns={"p": "payer"}).sort_values("day", kind="stable")
        back = pd.merge_asof(
            ordered, keys, left_on="day", right_on="invoice_day", by="payer", direction="backward"
        )
        ahead = pd.merge_asof(
            ordered, keys, left_on="day", right_on="invoice_day", by="payer", direction="forward"
        )
        ordered = ordered.assign(row=back["row"].fillna(ahead["row"]).to_numpy())
        ordered = ordered.dropna(subset=["row"]).sort_values(["row", "day"], kind="stable")
        rows = ordered["row"].to_numpy(np.int64)
        cum = ordered.groupby("row")["amount"].cumsum().to_numpy(float)
        reached = cum >= owed[rows] - CENT
        first = ordered[reached].groupby("row")["day"].min()
        full[first.index.to_numpy(np.int64)] = first.to_numpy(float)
    free = owed <= CENT
    cancelled = free & (inv["adjustment"].to_numpy(float) < -CENT)
    full = np.where(free & ~cancelled, inv["invoice_day"].to_numpy(float), full)
    recorded = np.nan_to_num(inv["paid_amount"].to_numpy(float))
    paid_on_record = (~cancelled) & (~free) & (recorded >= owed - CENT)
    undated = np.isnan(full) & paid_on_record & ~inv["is_open"].to_numpy(bool)
    return pd.DataFrame({"owed": owed, "full_day": full, "undated": undated}, index=inv.index)


def labels(frames: LateFrames, settled: pd.DataFrame, *, as_of_day: int, th: Thresholds):
    """(late: 0/1 per invoice, known: whether the outcome is settled as of ``as_of_day``),
    counting only payments made before ``as_of_day``."""
    due = frames.invoices["due_day"].to_numpy(float)
    full = settled["full_day"].to_numpy(float)
    full = np.where(full < as_of_day, full, np.nan)
    paid_late = full > due + th.late_days
    unpaid = ~(full <= due + th.unpaid_days)
    late = (paid_late | unpaid).astype(float)
    known = (due + th.known_after < as_of_day) & ~settled["undated"].to_numpy(bool)
    return late, known


def _window_counts(events: pd.DataFrame, who: np.ndarray, start, end) -> np.ndarray:
    """Events of party ``who`` with start <= day < end (arrays of equal length)."""
    if events.empty:
        return np.zeros(len(who))
    keys = events["p"].to_numpy(np.int64) * KEY + events["day"].to_numpy(np.int64)
    lo = np.searchsorted(keys, who * KEY + np.asarray(start, dtype=np.int64), side="left")
    hi = np.searchsorted(keys, who * KEY + np.asarray(end, dtype=np.int64), side="left")
    return (hi - lo).astype(float)


def compute_features(
    frames: LateFrames, settled: pd.DataFrame, rows: np.ndarray, *, th: Thresholds
) -> pd.DataFrame:
    """Features of invoices at ``rows`` (positions in ``frames.invoices``), each as of the day
    it was issued. ``frames.invoices`` is sorted by payer and date, so a payer's earlier
    invoices are the rows just before."""
    inv = frames.invoices
    rows = np.asarray(rows, dtype=np.int64)
    s = inv["invoice_day"].to_numpy(float)[rows]
    due = inv["due_day"].to_numpy(float)
    amount = inv["amount"].to_numpy(float)
    payer = inv["payer"].to_numpy(np.int64)
    full = settled["full_day"].to_numpy(float)
    nth = inv.groupby("payer").cumcount().to_numpy(np.int64)

    late_k, days_k, amount_k, unpaid_k = [], [], [], []
    for k in range(1, LAGS + 1):
        prev = rows - k
        exists = (prev >= 0) & (nth[rows] >= k)
        prev = np.where(exists, prev, 0)
        exists &= inv["invoice_day"].to_numpy(float)[prev] < s  # issued strictly before
        p_due, p_full = due[prev], full[prev]
        paid_before = exists & (p_full < s)
        overdue = exists & ~paid_before & (s > p_due + th.late_days)
        days = np.where(paid_before, p_full - p_due, np.where(overdue, s - p_due, np.nan))
        late = np.where(paid_before, (p_full - p_due > th.late_days).astype(float), np.nan)
        late = np.where(overdue, 1.0, late)
        late_k.append(late)
        days_k.append(np.clip(days, -120, 365))
        amount_k.append(np.where(exists, amount[prev], np.nan))
        unpaid_k.append((exists & ~paid_before & (s > p_due)).astype(float))
    late_m = np.vstack(late_k)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with no earlier invoice: NaN
        prev_late_share = np.nanmean(late_m, axis=0)
        prev_days = np.nanmean(np.vstack(days_k), axis=0)
        past_amount = np.nanmean(np.vstack(amount_k), axis=0)
    own = amount[rows]
    sold = inv["p"].to_numpy(np.int64)[rows]
    who = payer[rows]
    parties = frames.parties
    is_org = parties["is_org"].fillna(False).to_numpy(bool)
    failures = _window_counts(frames.failures, sold, s - 365, s)
    failures += np.where(who != sold, _window_counts(frames.failures, who, s - 365, s), 0)
    recent = _window_counts(frames.engagement, sold, s - 180, s)
    before = _window_counts(frames.engagement, sold, s - 360, s - 180)
    join = parties["join_day"].to_numpy(float)[sold]
    with np.errstate(all="ignore"):
        return pd.DataFrame(
            {
                "amount": own,
                "amount_vs_past": np.where(past_amount > 0, own / past_amount, np.nan),
                "price_rise": np.where(amount_k[0] > 0, own / amount_k[0] - 1, np.nan),
                "billed_other": inv["billed_other"].to_numpy(float)[rows],
                "payer_is_org": np.where(who >= 0, is_org[np.maximum(who, 0)], False).astype(float),
                "purpose": inv["purpose"].fillna("").to_numpy(object)[rows],
                "member_type": parties["ctype"].fillna("").to_numpy(object)[sold],
                "tenure_years": (s - join) / 365.25,
                "days_to_due": due[rows] - s,
                "prev_invoices": np.minimum(nth[rows], 20).astype(float),
                "last_late": late_k[0],
                "prev_late_share": prev_late_share,
                "prev_days_late": prev_days,
                "prev_unpaid_now": np.sum(np.vstack(unpaid_k), axis=0),
                "card_failures_365": failures,
                "autopay": inv["autopay"].fillna(False).to_numpy(float)[rows],
                "engagement_180": recent,
                "engagement_trend": np.log1p(recent) - np.log1p(before),
            }
        )
