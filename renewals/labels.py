"""Labels: every member-term whose paid-through date plus the grace period has passed is either
renewed (paid in full by then, against the original amount) or lapsed; later terms are still
open. What counts as paid, for every iMIS practice, is ``renewals.settlement``.

A term is a dues renewal invoice (purpose containing "renew"), or the one that replaced it when
it was cancelled and billed again. Its due date is the member's paid-through date before the
term; the features of the term are taken as of its invoice date, the moment the renewal is
billed and before anyone has paid it.
"""

import numpy as np
import pandas as pd

from renewals.selectors import MirrorFrames, day_date, day_number


def cycle_of(due_day: np.ndarray, *, as_of_day: int, grace_days: int) -> np.ndarray:
    """Twelve-month slices of due dates counted back from the last closed due date: 0 for the
    year up to it, 1 for the year before... (calendar years, so leap days do not shift them)."""
    last_closed = day_date(as_of_day - grace_days - 1)
    due = np.asarray(due_day, dtype=float)
    cycle = np.zeros(len(due), dtype=np.int64)
    for years in range(1, 30):
        try:
            boundary = last_closed.replace(year=last_closed.year - years)
        except ValueError:  # 29 February
            boundary = last_closed.replace(year=last_closed.year - years, day=28)
        older = due <= day_number(boundary)
        if not older.any():
            break
        cycle += older
    return cycle


def renewal_terms(frames: MirrorFrames, *, as_of_day: int, grace_days: int) -> pd.DataFrame:
    """One row per renewal invoice, with its outcome where known.

    Columns: inv (row in frames.invoices), m, member_id, invoice_id, day (as-of day of the
    features), due_day, amount, closed, renewed (1.0 / 0.0, NaN while open), renewed_day (the day
    it was paid in full, NaN: not yet or never), outcome (renewed, cancelled, written_off,
    partial, unpaid, paid_after_grace; "open" while open), cycle (0 = the latest closed cycle,
    1 the one before...; -1 = open).
    """
    invoices = frames.invoices
    settled = frames.settlement
    renewal = invoices["renewal"].to_numpy(bool) & ~settled["superseded"].to_numpy(bool)
    rows = np.flatnonzero(renewal)
    due = invoices["due_day"].to_numpy(float)[rows]
    full = settled["full_day"].to_numpy(float)[rows]
    closed = due + grace_days < as_of_day
    in_time = full <= due + grace_days
    renewed = np.where(closed, in_time.astype(float), np.nan)
    outcome = np.select(
        [
            ~closed,
            in_time,
            ~np.isnan(full),
            settled["written_off"].to_numpy(bool)[rows] & (settled["paid"].to_numpy()[rows] > 0),
            settled["cancelled"].to_numpy(bool)[rows],
            settled["paid"].to_numpy(float)[rows] > 0,
        ],
        ["open", "renewed", "paid_after_grace", "written_off", "cancelled", "partial"],
        "unpaid",
    )
    cycle = np.where(closed, cycle_of(due, as_of_day=as_of_day, grace_days=grace_days), -1)
    m = invoices["m"].to_numpy(np.int64)[rows]
    return pd.DataFrame(
        {
            "inv": rows,
            "m": m,
            "member_id": frames.parties["imis_id"].to_numpy(object)[m],
            "invoice_id": invoices["invoice_id"].to_numpy(object)[rows],
            "day": np.minimum(invoices["invoice_day"].to_numpy(float)[rows], due).astype(np.int64),
            "due_day": due.astype(np.int64),
            "amount": invoices["amount"].to_numpy(float)[rows],
            "closed": closed,
            "renewed": renewed,
            "renewed_day": full,
            "outcome": outcome,
            "cycle": cycle,
        }
    )
