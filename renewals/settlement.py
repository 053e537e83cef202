"""What was paid on each invoice, and when it was paid in full: the one rule behind the renewal
labels, the payment-history features, the renewal rate and the root-cause analysis.

iMIS practices this rule reads through (each has a test in tests/renewals/test_labels.py):

* **Cancelled**: when a member drops, the site credits the unpaid renewal (``AdjustmentAmount``
  = minus what was owed, a note on the invoice). The balance is zero but nothing was paid: a
  lapse. Payments are counted against the ORIGINAL amount, never against the amount net of
  adjustments, and a zero balance is never read as a payment.
* **Written off**: part paid, the rest credited: paid less than the original amount, a lapse.
* **Paid late within grace**: paid in full after the due date but within ``grace_days``.
* **Renewed under another member type**: the invoice is re-priced by an adjustment and the new
  price paid: renewed only where the site moved the member's paid-through date past the term
  (the site's own verdict) and the invoice's note does not say it was cancelled or written off.
* **Paid by the employer**: no dues payment on the member's own record; the invoice's
  ``PaymentAmount`` says it was paid (the day is then unknown and taken as the due date).
* **Re-joined after a gap**: the lapsed term stays lapsed; the join invoice is not a renewal,
  and a paid-through date moved by the re-join does not make the cancelled term paid.
* **Re-issued**: a renewal cancelled and billed again (another amount, item or date) within the
  grace period is one term: the invoice that replaced it carries the outcome, the cancelled one
  is ``superseded`` and neither labelled nor counted in a member's history.
"""

import re

import numpy as np
import pandas as pd

from renewals.selectors import MirrorFrames

CENT = 0.005
# Words in an invoice's note that say an adjustment ended the renewal rather than re-priced it.
ENDED = re.compile(r"cancel|writ(?:e|ten)|void|drop|laps|non.?renew|resign|deceas|bad debt", re.I)


def settle(frames: MirrorFrames, *, grace_days: int) -> pd.DataFrame:
    """Per invoice (same index as ``frames.invoices``).

    Columns: first_pay, second_pay (days of the first two dues payments on record), paid (paid
    toward the original amount), full_day (the day it was paid in full, NaN: never; for a
    renewal, the earliest of the invoices of its term), cancelled (credited down to what was
    paid), written_off (cancelled and not re-priced), superseded (another invoice of the same
    renewal term carries the outcome).
    """
    invoices = frames.invoices
    n = len(invoices)
    amount = invoices["amount"].to_numpy(float)
    adjustment = np.nan_to_num(invoices["adjustment"].to_numpy(float))
    balance = invoices["balance"].to_numpy(float)
    recorded = invoices["paid_amount"].to_numpy(float)
    # What the invoice says was paid: PaymentAmount where the site sends it, else what the
    # original amount and its adjustments leave after the balance.
    on_invoice = np.where(
        np.isnan(recorded), np.clip(amount + adjustment - np.nan_to_num(balance), 0, None), recorded
    )
    cancelled = (adjustment < -CENT) & (amount + adjustment - on_invoice <= CENT)
    nothing_paid = cancelled & (on_invoice <= CENT)

    result = pd.DataFrame(
        {"first_pay": np.nan, "second_pay": np.nan, "paid": 0.0, "full_day": np.nan},
        index=invoices.index,
    )
    last_pay = np.full(n, np.nan)
    if n and not frames.payments.empty:
        # A credited invoice nobody paid takes no payment: the next one of the member does.
        last_pay = _from_payments(invoices, frames.payments, ~nothing_paid, result)
    from_payments = result["full_day"].to_numpy(float).copy()
    paid = np.maximum(result["paid"].to_numpy(float), on_invoice)

    due = invoices["due_day"].to_numpy(float)
    paid_thru = frames.parties["paid_thru_day"].to_numpy(float)[invoices["m"].to_numpy(np.int64)]
    moved = np.isnan(paid_thru) | (paid_thru > due)
    notes = invoices["note"].fillna("").astype(str)
    ended = notes.str.contains(ENDED).to_numpy(bool)
    repriced = cancelled & (paid > CENT) & moved & ~ended
    paid_in_full = paid >= amount - CENT
    # A payment on the invoice without a dated dues payment (the employer's, or a site that
    # keeps no DUES activity): the day is unknown and taken as the due date.
    undated = np.where(np.isnan(last_pay), due, last_pay)
    dated = ~np.isnan(from_payments)
    full = np.select([dated, paid_in_full, repriced], [from_payments, undated, undated], np.nan)
    free = amount <= CENT
    full = np.where(free, invoices["invoice_day"].to_numpy(float), full)
    result["paid"] = paid
    result["cancelled"] = cancelled
    result["written_off"] = cancelled & ~repriced & ~free
    superseded, full = _terms_of_renewals(invoices, full, nothing_paid, grace_days)
    result["full_day"] = full
    result["superseded"] = superseded
    return result


def _from_payments(invoices, payments, takes: np.ndarray, result: pd.DataFrame) -> np.ndarray:
    """Assign each dues payment to the member's latest invoice dated on or before it (a payment
    made before any invoice to the first one); fill first_pay, second_pay, paid and full_day
    (cumulative payments reaching the original amount). Returns the last payment day."""
    pays = payments[["m", "day", "amount"]].copy()
    pays["order"] = np.arange(len(pays))
    keys = invoices.loc[takes, ["m", "invoice_day"]].copy()
    keys["row"] = keys.index
    keys = keys.sort_values("invoice_day", kind="stable")
    pays = pays.sort_values("day", kind="stable")
    back = pd.merge_asof(
        pays, keys, left_on="day", right_on="invoice_day", by="m", direction="backward"
    )
    ahead = pd.merge_asof(
        pays, keys, left_on="day", right_on="invoice_day", by="m", direction="forward"
    )
    pays["row"] = back["row"].fillna(ahead["row"]).to_numpy()
    pays = pays.dropna(subset=["row"]).sort_values(["row", "day", "order"])
    pays["row"] = pays["row"].astype(np.int64)
    pays["cum"] = pays.groupby("row")["amount"].cumsum()
    pays["nth"] = pays.groupby("row").cumcount()
    owed = invoices["amount"].to_numpy(float)[pays["row"].to_numpy()]
    full = pays[pays["cum"].to_numpy() >= owed - CENT].groupby("row")["day"].min()
    result.loc[full.index, "full_day"] = full
    first = pays[pays["nth"] == 0].set_index("row")["day"]
    second = pays[pays["nth"] == 1].set_index("row")["day"]
    result.loc[first.index, "first_pay"] = first
    result.loc[second.index, "second_pay"] = second
    result.loc[:, "paid"] = pays.groupby("row")["amount"].sum().reindex(result.index).fillna(0.0)
    last = pays.groupby("row")["day"].max()
    out = np.full(len(invoices), np.nan)
    out[last.index.to_numpy()] = last.to_numpy(float)
    return out


def _terms_of_renewals(invoices, full: np.ndarray, nothing_paid: np.ndarray, grace_days: int):
    """Group a member's renewal invoices whose due dates lie within the grace period of each
    other into one term: the latest invoice not credited unpaid (else the latest) carries the
    term, with the earliest day any of them was paid in full."""
    renewal = np.flatnonzero(invoices["renewal"].to_numpy(bool))
    superseded = np.zeros(len(invoices), dtype=bool)
    if not len(renewal):
        return superseded, full
    frame = pd.DataFrame(
        {
            "row": renewal,
            "m": invoices["m"].to_numpy(np.int64)[renewal],
            "due": invoices["due_day"].to_numpy(float)[renewal],
            "inv_day": invoices["invoice_day"].to_numpy(float)[renewal],
            "live": ~nothing_paid[renewal],
            "full": full[renewal],
        }
    ).sort_values(["m", "due", "inv_day", "row"], kind="stable")
    m, due = frame["m"].to_numpy(), frame["due"].to_numpy()
    new = np.ones(len(frame), dtype=bool)
    new[1:] = (m[1:] != m[:-1]) | (due[1:] - due[:-1] > grace_days)
    frame["term"] = np.cumsum(new)
    if new.all():
        return superseded, full
    # Carrier: the last live invoice of the term, else the last one (sorted by date above).
    frame["rank"] = frame["live"].astype(int) * len(frame) + np.arange(len(frame))
    carrier = frame.loc[frame.groupby("term")["rank"].idxmax(), ["term", "row"]]
    earliest = frame.groupby("term")["full"].min()
    superseded[frame["row"].to_numpy()] = True
    superseded[carrier["row"].to_numpy()] = False
    full = full.copy()
    full[carrier["row"].to_numpy()] = earliest.reindex(carrier["term"]).to_numpy()
    return superseded, full
