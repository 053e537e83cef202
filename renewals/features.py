"""Point-in-time features of members as of a date, for many (member, date) snapshots at once.

A snapshot is a member code ``m``, a day ``day`` (the as-of date) and ``inv``, the row in
``frames.invoices`` of the term being predicted (``-1`` when it is not billed yet). A feature at
day D uses only what was known before D:

* dated rows (payments, registrations, communications, group service) count when dated before D;
* an activity row that aggregates a period (iMIS sites often keep one row per member, type and
  half-year, with ``UNITS``) is known only once its period has ended, or up to the mirror's own
  date (``data_day``) for the period still open; its units are spread evenly over the period;
* counts over a window are estimated from the part of the window the mirror's history covers,
  and are unknown (NaN) when it covers less than a quarter of it: "no data" is not "no logins";
* the current state of a record (a party's status, an invoice's balance, ``IsActive``) is never
  used for a past date: it may already reflect the outcome being predicted.

Everything is vectorised: rows are paired with the snapshots of the same member by binary search
and summed with ``bincount``; nothing loops over members.
"""

import numpy as np
import pandas as pd

from renewals.feature_names import FeatureConfig, activity_slug
from renewals.feature_pairs import pair_rows, sorted_by_member
from renewals.selectors import MirrorFrames
from renewals.settlement import settle

YEAR = 365
MIN_COVERAGE = 0.25


def compute_features(
    frames: MirrorFrames, snaps: pd.DataFrame, *, data_day: int, config: FeatureConfig
) -> pd.DataFrame:
    """One row per snapshot (same index), the columns of ``config.names()``."""
    snap_m = snaps["m"].to_numpy(np.int64)
    snap_day = snaps["day"].to_numpy(np.int64)
    snap_inv = snaps["inv"].to_numpy(np.int64) if "inv" in snaps else np.full(len(snaps), -1)
    out: dict[str, np.ndarray] = {}
    _profile(frames, snap_m, snap_day, out)
    _terms(frames, snap_m, snap_day, snap_inv, config.grace_days, out)
    _payment_failures(frames, snap_m, snap_day, out)
    _sponsored(frames, snap_m, snap_day, out)
    _engagement(frames, snap_m, snap_day, data_day, config.activity_types, out)
    _events(frames, snap_m, snap_day, out)
    _groups_and_communications(frames, snap_m, snap_day, out)
    features = pd.DataFrame(out, index=snaps.index)
    return features[config.names()]


# --- profile ---------------------------------------------------------------------------------


def _profile(frames, snap_m, snap_day, out) -> None:
    parties = frames.parties
    join = parties["join_day"].to_numpy(float)[snap_m]
    first_invoice = frames.invoices.groupby("m")["invoice_day"].min()
    fallback = first_invoice.reindex(snap_m).to_numpy(float)
    join = np.where(np.isnan(join), fallback, join)
    out["tenure_years"] = np.clip((snap_day - join) / 365.25, 0, None)
    # Member type as of D: the type of the latest dues payment before D, else today's type.
    payments = frames.payments
    pairs = pair_rows(snap_m, snap_day, payments["m"].to_numpy(np.int64))
    before = payments["day"].to_numpy(float)[pairs.row] < pairs.day
    latest = pd.Series(pairs.row[before]).groupby(pairs.snap[before]).max()
    member_type = parties["ctype"].to_numpy(object)[snap_m].copy()
    paid_type = payments["member_type"].to_numpy(object)[latest.to_numpy()]
    has_type = paid_type != ""
    member_type[latest.index.to_numpy()[has_type]] = paid_type[has_type]
    out["member_type"] = member_type
    out["chapter"] = parties["chapter"].to_numpy(object)[snap_m]
    out["is_organization"] = parties["is_org"].to_numpy(bool)[snap_m].astype(float)
    out["has_email"] = parties["has_email"].to_numpy(bool)[snap_m].astype(float)


# --- dues and payment history ----------------------------------------------------------------


def _terms(frames, snap_m, snap_day, snap_inv, grace, out) -> None:
    invoices = frames.invoices
    settled = frames.settlement
    pairs = pair_rows(snap_m, snap_day, invoices["m"].to_numpy(np.int64))
    row = pairs.row
    inv_day = invoices["invoice_day"].to_numpy(float)[row]
    due = invoices["due_day"].to_numpy(float)[row]
    renewal = invoices["renewal"].to_numpy(bool)[row]
    full = settled["full_day"].to_numpy(float)[row]
    first = settled["first_pay"].to_numpy(float)[row]
    second = settled["second_pay"].to_numpy(float)[row]
    upcoming_day = np.where(
        snap_inv >= 0, invoices["invoice_day"].to_numpy(float)[np.maximum(snap_inv, 0)], np.inf
    )
    # An invoice replaced by another of the same term (re-issued) is not part of the history.
    superseded = settled["superseded"].to_numpy(bool)[row]
    prior = (
        ~superseded
        & (inv_day < pairs.day)
        & (row != snap_inv[pairs.snap])
        & (inv_day <= upcoming_day[pairs.snap])
    )
    full_known = prior & (full < pairs.day)
    late = full_known & (full > due)
    lapse_known = prior & (due + grace < pairs.day) & ~(full <= due + grace)
    split = prior & (second < pairs.day)
    partial = split | (lapse_known & (first < pairs.day))
    out["past_renewals"] = pairs.count(renewal & full_known & ~lapse_known)
    out["past_late"] = pairs.count(renewal & late)
    out["past_partial"] = pairs.count(partial)
    out["past_lapses"] = pairs.count(renewal & lapse_known)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_late_base = pairs.count(renewal & full_known)
        out["mean_days_late"] = np.where(
            n_late_base > 0, pairs.sum(full - due, renewal & full_known) / n_late_base, np.nan
        )
    # The most recent prior invoice: its amount, payer and how long it took to pay.
    order_key = np.where(prior, inv_day * 1e7 + row, -np.inf)
    best = np.full(pairs.n_snaps, -np.inf)
    np.maximum.at(best, pairs.snap, order_key)
    is_last = prior & (order_key == best[pairs.snap])
    last_row = np.full(pairs.n_snaps, -1)
    last_row[pairs.snap[is_last]] = row[is_last]
    has_last = last_row >= 0
    last = np.maximum(last_row, 0)
    amounts = invoices["amount"].to_numpy(float)
    org = invoices["org_paid"].to_numpy(bool)
    last_full = settled["full_day"].to_numpy(float)[last]
    out["last_days_to_pay"] = np.where(
        has_last & (last_full < snap_day),
        last_full - invoices["invoice_day"].to_numpy(float)[last],
        np.nan,
    )
    # How late the last renewal before this one was paid (negative: early), when it was.
    last_renewal = np.where(prior & renewal, inv_day * 1e7 + row, -np.inf)
    best_renewal = np.full(pairs.n_snaps, -np.inf)
    np.maximum.at(best_renewal, pairs.snap, last_renewal)
    is_last_renewal = (last_renewal == best_renewal[pairs.snap]) & np.isfinite(last_renewal)
    late_by = np.full(pairs.n_snaps, np.nan)
    known = is_last_renewal & full_known
    late_by[pairs.snap[known]] = (full - due)[known]
    out["last_days_late"] = late_by
    previous_amount = np.where(has_last, amounts[last], np.nan)
    has_next = snap_inv >= 0
    nxt = np.maximum(snap_inv, 0)
    # Not billed yet: the listed price of the member's dues item (code "DUES-REG" or "REG").
    price_list = {code.rsplit("-", 1)[-1]: price for code, price in frames.prices.items()}
    listed = pd.Series(out["member_type"]).map(price_list)
    next_amount = np.where(has_next, amounts[nxt], listed.to_numpy(float))
    next_amount = np.where(np.isnan(next_amount), previous_amount, next_amount)
    out["dues_amount"] = next_amount
    with np.errstate(invalid="ignore", divide="ignore"):
        out["dues_change_pct"] = np.where(
            previous_amount > 0, 100 * (next_amount / previous_amount - 1), np.nan
        )
    org_before = np.where(has_last, org[last], False)
    org_next = np.where(has_next, org[nxt], np.nan)
    out["org_paid"] = org_next.astype(float)
    out["org_paid_before"] = org_before.astype(float)
    out["employer_stopped_paying"] = np.where(
        has_next, (org_before & ~org[nxt]).astype(float), np.nan
    )


def _payment_failures(frames, snap_m, snap_day, out) -> None:
    """Failed payments (declined cards) in the year before, and how long since the last."""
    failures = frames.failures
    day = snap_day.astype(float)
    if failures is None or failures.empty:
        out["payment_failures_365"] = np.zeros(len(day))
        out["days_since_payment_failure"] = np.full(len(day), np.nan)
        return
    pairs = pair_rows(snap_m, snap_day, failures["m"].to_numpy(np.int64))
    when = failures["day"].to_numpy(float)[pairs.row]
    before = when < pairs.day
    out["payment_failures_365"] = pairs.count(before & (when >= pairs.day - YEAR))
    out["days_since_payment_failure"] = day - pairs.max(when, before)


def _sponsored(frames, snap_m, snap_day, out) -> None:
    """For an organisation: the members' dues it was billed for in the year before and the year
    before that (employees it sponsors, and how that changed), and how long it takes to pay."""
    invoices = frames.invoices_by_payer
    payer = invoices["payer_m"].to_numpy(np.int64)
    pairs = pair_rows(snap_m, snap_day, payer)
    r = pairs.row
    inv_day = invoices["invoice_day"].to_numpy(float)[r]
    for_others = invoices["m"].to_numpy(np.int64)[r] != payer[r]
    recent = for_others & (inv_day < pairs.day) & (inv_day >= pairs.day - YEAR)
    earlier = for_others & (inv_day < pairs.day - YEAR) & (inv_day >= pairs.day - 2 * YEAR)
    is_org = frames.parties["is_org"].fillna(False).to_numpy(bool)[snap_m]
    now, before = pairs.count(recent), pairs.count(earlier)
    out["sponsored_365"] = np.where(is_org, now, np.nan)
    out["sponsored_prior_365"] = np.where(is_org, before, np.nan)
    out["sponsored_change"] = np.where(is_org, now - before, np.nan)
    full = frames.settlement["full_day"].to_numpy(float)[invoices["row"].to_numpy(np.int64)][r]
    paid = (inv_day < pairs.day) & (full < pairs.day)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = pairs.count(paid)
        mean = np.where(n > 0, pairs.sum(full - inv_day, paid) / np.maximum(n, 1), np.nan)
    out["payer_mean_days_to_pay"] = np.where(is_org, mean, np.nan)


# --- engagement --------------------------------------------------------------------------------


def _known_end(ends_by_type: dict[int, np.ndarray], code: int, day: np.ndarray) -> np.ndarray:
    """The latest day through which the mirror knows activity of a type, as of each day."""
    ends = ends_by_type.get(code)
    if ends is None or not len(ends):
        return np.full(len(day), -np.inf)
    idx = np.searchsorted(ends, day, "left") - 1
    return np.where(idx >= 0, ends[np.maximum(idx, 0)], -np.inf)


def _window(units, start, end, day, lo, hi):
    """Units of each row falling in [day-lo, day-hi), spreading a period's units evenly."""
    a = day - lo
    b = day - hi
    overlap = np.clip(np.minimum(end + 1, b) - np.maximum(start, a), 0, None)
    return units * overlap / (end - start + 1)


def _estimate(total, covered, length):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(covered >= MIN_COVERAGE * length, total * length / covered, np.nan)


def _engagement(frames, snap_m, snap_day, data_day, activity_types, out) -> None:
    activity = frames.activity_sorted
    codes = {t: i for i, t in enumerate(activity_types)}
    type_code = _type_codes(activity["type"], codes)
    tx = activity["tx_day"].to_numpy(float)
    start = activity["eff_day"].fillna(activity["tx_day"]).to_numpy(float)
    end = np.maximum(activity["thru_day"].fillna(activity["tx_day"]).to_numpy(float), tx)
    start = np.minimum(start, tx)
    # The period still open when the mirror was read is known up to that day.
    end = np.minimum(end, max(data_day - 1, 0))
    units = activity["units"].to_numpy(float)
    ends_by_type = {code: np.unique(end[type_code == code]) for code in range(len(activity_types))}
    history_start = {
        code: (start[type_code == code].min() if (type_code == code).any() else np.inf)
        for code in range(len(activity_types))
    }
    pairs = pair_rows(snap_m, snap_day, activity["m"].to_numpy(np.int64))
    r = pairs.row
    usable = end[r] < pairs.day
    kind = type_code[r]
    day = snap_day.astype(float)
    for activity_type, code in codes.items():
        slug, _ = activity_slug(activity_type)
        # Only this type's usable pairs: the others would add zeros to every sum.
        mine = pairs.only(usable & (kind == code))
        rows = mine.row
        mine_units, mine_start, mine_end = units[rows], start[rows], end[rows]
        known_end = _known_end(ends_by_type, code, day)
        windows = {"30": (30, 0), "90": (90, 0), "365": (YEAR, 0), "prior_365": (2 * YEAR, YEAR)}
        for name, (lo, hi) in windows.items():
            units_in = _window(mine_units, mine_start, mine_end, mine.day, lo, hi)
            total = mine.sum(units_in)
            covered = np.clip(
                np.minimum(day - hi, known_end + 1) - np.maximum(day - lo, history_start[code]),
                0,
                None,
            )
            out[f"{slug}_{name}"] = _estimate(total, covered, lo - hi)
        with np.errstate(invalid="ignore"):
            out[f"{slug}_trend"] = np.log1p(out[f"{slug}_365"]) - np.log1p(out[f"{slug}_prior_365"])
            # The last 90 days against the year's pace: a recent fall shows here first.
            out[f"{slug}_recent_change"] = np.log1p(out[f"{slug}_90"] * YEAR / 90) - np.log1p(
                out[f"{slug}_365"]
            )
        last = mine.max(tx[rows], mine_units > 0)
        out[f"days_since_{slug}"] = day - last
    # Summaries across channels (each channel on a log scale, so none dominates by volume).
    slugs = [activity_slug(t)[0] for t in activity_types]
    with np.errstate(invalid="ignore"):
        level = [np.log1p(out[f"{s}_365"]) for s in slugs]
        out["engagement_index"] = np.sum(level, axis=0) if slugs else np.zeros(len(day))
        out["engagement_trend"] = _nanmean([out[f"{s}_trend"] for s in slugs], len(day))
        out["engagement_recent_change"] = _nanmean(
            [out[f"{s}_recent_change"] for s in slugs], len(day)
        )
        # All channels together this year against the member's own year before (pooled, so
        # that a fall shows through the noise of each channel's small counts).
        now = _nansum([out[f"{s}_365"] for s in slugs], len(day))
        before = _nansum([out[f"{s}_prior_365"] for s in slugs], len(day))
        out["engagement_total_trend"] = np.log1p(now) - np.log1p(before)
        # The steepest fall of any channel against the member's own year before.
        trends = [out[f"{s}_trend"] for s in slugs]
        out["engagement_drop"] = np.fmin.reduce(trends) if trends else np.full(len(day), np.nan)


def _type_codes(types: pd.Series, codes: dict[str, int]) -> np.ndarray:
    """Each row's code in ``codes`` (-1: a type not among them), through the column's
    categories: a lookup per distinct type, not per row."""
    kinds = pd.Categorical(types, categories=list(codes))
    return np.append(np.fromiter(codes.values(), np.int64, len(codes)), -1)[kinds.codes]


def _nansum(arrays: list[np.ndarray], n: int) -> np.ndarray:
    """Element-wise sum of the known values; NaN where none is known."""
    if not arrays:
        return np.full(n, np.nan)
    stacked = np.vstack(arrays)
    known = ~np.isnan(stacked)
    return np.where(known.any(axis=0), np.where(known, stacked, 0.0).sum(axis=0), np.nan)


def _nanmean(arrays: list[np.ndarray], n: int) -> np.ndarray:
    if not arrays:
        return np.full(n, np.nan)
    stacked = np.vstack(arrays)
    known = ~np.isnan(stacked)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _events(frames, snap_m, snap_day, out) -> None:
    regs = frames.registrations_sorted
    pairs = pair_rows(snap_m, snap_day, regs["m"].to_numpy(np.int64))
    r = pairs.row
    begin = regs["start_day"].to_numpy(float)[r]
    finish = regs["end_day"].to_numpy(float)[r]
    registered = regs["reg_day"].to_numpy(float)[r]
    # Attendance may be unknown (null): that is neither attended nor a no-show.
    said_yes = regs["attended"].eq(True).fillna(False).to_numpy(bool)[r]
    said_no = regs["attended"].eq(False).fillna(False).to_numpy(bool)[r]
    cancelled = regs["status"].str.lower().str.startswith("cancel").to_numpy(bool)[r]
    over = finish < pairs.day
    attended = over & said_yes
    no_show = over & said_no & ~cancelled
    recent = (begin >= pairs.day - YEAR) & (begin < pairs.day)
    prior = (begin >= pairs.day - 2 * YEAR) & (begin < pairs.day - YEAR)
    day = snap_day.astype(float)
    first_event = regs["start_day"].min() if len(regs) else np.inf
    out["events_365"] = np.where(
        day - YEAR >= first_event - 30, pairs.count(attended & recent), np.nan
    )
    out["events_prior_365"] = np.where(
        day - 2 * YEAR >= first_event - 30, pairs.count(attended & prior), np.nan
    )
    with np.errstate(invalid="ignore"):
        out["events_trend"] = out["events_365"] - out["events_prior_365"]
    out["no_shows_365"] = np.where(
        np.isnan(out["events_365"]), np.nan, pairs.count(no_show & recent)
    )
    out["registered_ahead"] = pairs.count((registered < pairs.day) & (begin >= pairs.day))
    out["days_since_event"] = day - pairs.max(begin, attended)


def _groups_and_communications(frames, snap_m, snap_day, out) -> None:
    groups = frames.groups_sorted
    pairs = pair_rows(snap_m, snap_day, groups["m"].to_numpy(np.int64))
    r = pairs.row
    committee = ~groups["group_class"].str.upper().str.contains("CHAPTER").to_numpy(bool)[r]
    begin = groups["start_day"].to_numpy(float)[r]
    finish = groups["end_day"].to_numpy(float)[r]
    serving = committee & (begin < pairs.day) & ~(finish < pairs.day)
    chair = groups["role"].str.contains("chair", case=False).to_numpy(bool)[r]
    out["committees_now"] = pairs.count(serving)
    out["chair_now"] = pairs.count(serving & chair)

    comms = frames.communications_sorted
    pairs = pair_rows(snap_m, snap_day, comms["m"].to_numpy(np.int64))
    r = pairs.row
    sent = comms["day"].to_numpy(float)[r]
    recent = (sent >= pairs.day - YEAR) & (sent < pairs.day)
    bounced = comms["status"].str.contains("bounce", case=False).to_numpy(bool)[r]
    day = snap_day.astype(float)
    first = comms["day"].min() if len(comms) else np.inf
    covered = day - YEAR >= first - 30
    out["communications_365"] = np.where(covered, pairs.count(recent), np.nan)
    out["bounced_365"] = np.where(covered, pairs.count(recent & bounced), np.nan)


def prepare(frames: MirrorFrames, *, grace_days: int) -> MirrorFrames:
    """Sort and pre-compute once what every feature computation pairs against."""
    frames.activity_sorted = sorted_by_member(frames.activity)
    frames.registrations_sorted = sorted_by_member(frames.registrations)
    frames.groups_sorted = sorted_by_member(frames.groups)
    frames.communications_sorted = sorted_by_member(frames.communications)
    frames.settlement = settle(frames, grace_days=grace_days)
    by_payer = frames.invoices[["payer_m", "m", "invoice_day"]].assign(row=frames.invoices.index)
    frames.invoices_by_payer = by_payer.sort_values("payer_m", kind="stable").reset_index(drop=True)
    return frames
