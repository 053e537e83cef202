"""Pairing snapshots with table rows of the same member, vectorised: the rows behind every
point-in-time feature (``renewals.features``)."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Pairs:
    """Row i of a table paired with snapshot s of the same member (parallel arrays)."""

    snap: np.ndarray
    row: np.ndarray
    n_snaps: int
    day: np.ndarray = field(init=False)

    def sum(self, values, mask=None) -> np.ndarray:
        weights = np.asarray(values, dtype=float)
        if mask is not None:
            weights = np.where(mask, weights, 0.0)
        return np.bincount(self.snap, weights=weights, minlength=self.n_snaps)

    def count(self, mask) -> np.ndarray:
        return self.sum(np.ones(len(self.snap)), mask)

    def only(self, mask) -> "Pairs":
        """The pairs where ``mask`` holds. Their sums and maxima equal those of all the pairs
        with the rest masked out, in a fraction of the work when the mask keeps few."""
        keep = np.flatnonzero(mask)
        part = Pairs(snap=self.snap[keep], row=self.row[keep], n_snaps=self.n_snaps)
        part.day = self.day[keep]
        return part

    def max(self, values, mask) -> np.ndarray:
        out = np.full(self.n_snaps, -np.inf)
        np.maximum.at(out, self.snap[mask], np.asarray(values, dtype=float)[mask])
        return np.where(np.isfinite(out), out, np.nan)


def pair_rows(snap_m: np.ndarray, snap_day: np.ndarray, table_m: np.ndarray) -> Pairs:
    """Pair every snapshot with every row of the same member; ``table_m`` must be sorted."""
    lo = np.searchsorted(table_m, snap_m, "left")
    hi = np.searchsorted(table_m, snap_m, "right")
    count = hi - lo
    snap = np.repeat(np.arange(len(snap_m)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    pairs = Pairs(snap=snap, row=np.repeat(lo, count) + offset, n_snaps=len(snap_m))
    pairs.day = snap_day[snap].astype(float)
    return pairs


def sorted_by_member(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("m", kind="stable").reset_index(drop=True)
