"""Cycle analysis kept with each scoring run: the renewal rate this cycle against the last, and
the root causes of lapse in the last closed cycle (attributes over-represented among the lapsed,
with counts and a short written summary). Computed from the same bulk frames as the scores."""

import math

import numpy as np
import pandas as pd

from renewals.feature_names import CATEGORICAL, FeatureConfig
from renewals.features import compute_features
from renewals.labels import renewal_terms
from renewals.reasons import TYPE_NAMES
from renewals.selectors import MirrorFrames, day_date, day_number

MIN_GROUP = 20


def renewal_rate_by_month(frames: MirrorFrames, *, as_of_day: int, grace_days: int) -> dict:
    """Per month of due date, renewed / lapsed / pending, for the twelve months of due dates up
    to today ("this cycle") and the twelve before ("last cycle")."""
    terms = renewal_terms(frames, as_of_day=as_of_day, grace_days=grace_days)
    full = terms["renewed_day"].to_numpy(float)
    due = terms["due_day"].to_numpy(np.int64)
    renewed = full <= np.minimum(due + grace_days, as_of_day)
    lapsed = terms["closed"].to_numpy(bool) & ~renewed
    out = {}
    for name, lo, hi in (
        ("this", as_of_day - 365, as_of_day),
        ("last", as_of_day - 730, as_of_day - 365),
    ):
        mask = (due >= lo) & (due < hi)
        months = (due[mask] - lo) * 12 // 365
        rows = []
        for month in range(12):
            sel = months == month
            n_renewed, n_lapsed = int(renewed[mask][sel].sum()), int(lapsed[mask][sel].sum())
            decided = n_renewed + n_lapsed
            rows.append(
                {
                    "month": month + 1,
                    "from": day_date(lo + month * 365 // 12).isoformat(),
                    "due": int(sel.sum()),
                    "renewed": n_renewed,
                    "lapsed": n_lapsed,
                    "pending": int(sel.sum()) - decided,
                    "rate": round(n_renewed / decided, 4) if decided else None,
                }
            )
        total_r = sum(r["renewed"] for r in rows)
        total_d = total_r + sum(r["lapsed"] for r in rows)
        out[name] = {
            "months": rows,
            "rate": round(total_r / total_d, 4) if total_d else None,
            "from": day_date(lo).isoformat(),
            "to": day_date(hi - 1).isoformat(),
        }
    return out


def root_causes(frames: MirrorFrames, *, as_of_day: int, config: FeatureConfig) -> dict:
    """Attributes over-represented among the members who lapsed in the last closed cycle."""
    terms = renewal_terms(frames, as_of_day=as_of_day, grace_days=config.grace_days)
    terms = terms[terms["closed"] & (terms["cycle"] == 0)].reset_index(drop=True)
    if terms.empty:
        return {"n": 0, "lapsed": 0, "rows": [], "summary": "No renewal cycle has closed yet."}
    features = compute_features(frames, terms, data_day=as_of_day, config=config)
    lapsed = terms["renewed"].to_numpy(float) == 0.0
    base = float(lapsed.mean())
    online_columns = [
        c
        for c in features.columns
        if c.endswith("_365")
        and "prior" not in c
        and not c.startswith(("events", "communications", "bounced"))
    ]
    online = np.zeros(len(terms))
    for column in online_columns:
        online += np.nan_to_num(features[column].to_numpy(float))
    quiet = online <= np.nanpercentile(online, 25) if len(online) else online
    candidates: list[tuple[str, str, np.ndarray]] = []
    for code in sorted(features["member_type"].dropna().unique()):
        label = f"{TYPE_NAMES.get(code, code)} members"
        candidates.append(("tier", label, (features["member_type"] == code).to_numpy()))
    for chapter in sorted(features["chapter"].dropna().unique()):
        if chapter:
            label = f"Chapter {chapter}"
            candidates.append(("chapter", label, (features["chapter"] == chapter).to_numpy()))
    f = {c: features[c].to_numpy(float) for c in features.columns if c not in CATEGORICAL}
    candidates += [
        ("events", "Attended no events in the year before renewal", f["events_365"] == 0),
        (
            "payments",
            "Paid late or in parts before",
            (f["past_late"] > 0) | (f["past_partial"] > 0),
        ),
        ("price", "Dues rose for the new term", f["dues_change_pct"] > 0.5),
        ("employer", "Employer stopped paying the dues", f["employer_stopped_paying"] == 1),
        ("tenure", "First renewal after joining", f["past_renewals"] == 0),
        ("online", "Least active online (bottom quarter)", quiet),
        ("committees", "On no committee", f["committees_now"] == 0),
    ]
    rows = []
    total_lapsed = int(lapsed.sum())
    for kind, label, mask in candidates:
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n < MIN_GROUP or not total_lapsed:
            continue
        n_lapsed = int((mask & lapsed).sum())
        rate = n_lapsed / n
        rows.append(
            {
                "kind": kind,
                "attribute": label,
                "members": n,
                "lapsed": n_lapsed,
                "lapse_rate": round(rate, 4),
                "share_of_lapsed": round(n_lapsed / total_lapsed, 4),
                "share_of_members": round(n / len(terms), 4),
                "lift": round(rate / base, 2) if base else None,
                "excess_lapses": round(n_lapsed - n * base, 1),
            }
        )

    # Over-represented beyond chance: at least two standard errors above the usual rate.
    def significant(r) -> bool:
        spread = math.sqrt(base * (1 - base) / r["members"])
        return bool(r["lift"]) and r["lift"] > 1.1 and (r["lapse_rate"] - base) >= 2 * spread

    rows = [r for r in rows if significant(r)]
    rows.sort(key=lambda r: -r["excess_lapses"])
    first, last = day_date(terms["due_day"].min()), day_date(terms["due_day"].max())
    # How the lapses ended (cancelled, written off, part paid, unpaid, paid after grace).
    ended = terms.loc[lapsed, "outcome"].value_counts()
    return {
        "n": len(terms),
        "lapsed": total_lapsed,
        "outcomes": {str(k): int(v) for k, v in ended.items()},
        "rate": round(base, 4),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "rows": rows[:12],
        "summary": _summary(rows[:3], len(terms), total_lapsed, base, first, last),
    }


def _summary(rows, n, lapsed, base, first, last) -> str:
    text = (
        f"Of {n:,} renewals due from {first:%B %Y} to {last:%B %Y}, {lapsed:,} lapsed "
        f"({100 * base:.1f}%)."
    )
    if not rows:
        return text + " No attribute stood out among those who lapsed."
    parts = [
        f"{r['attribute'].lower()} ({100 * r['share_of_lapsed']:.0f}% of lapses against "
        f"{100 * r['share_of_members']:.0f}% of members, {r['lift']:.1f} times the usual rate)"
        for r in rows
    ]
    lead = "Most over-represented among them: " if len(parts) > 1 else "Over-represented: "
    return text + " " + lead + "; ".join(parts) + "."


def cycle_analysis(frames: MirrorFrames, *, as_of_day: int, config: FeatureConfig) -> dict:
    return {
        "renewal_rate": renewal_rate_by_month(
            frames, as_of_day=as_of_day, grace_days=config.grace_days
        ),
        "root_causes": root_causes(frames, as_of_day=as_of_day, config=config),
    }


def term_outcomes(frames: MirrorFrames, keys, *, as_of_day: int, grace_days: int) -> dict[str, str]:
    """The outcome of each (member id, term) in ``keys`` (term: the paid-through date the term
    renews from, as outreach records keep it): "renewed", "lapsed" or "pending", keyed
    ``"member id|YYYY-MM-DD"``.

    The renewal labels decide (``renewal_terms``: what was paid against the original amount, a
    cancelled or written-off renewal is a lapse), taking the member's renewal invoice due within
    a month of the term, as scoring does. Only a term no renewal invoice was found for falls back
    to whether the site moved the member's paid-through date past it.
    """
    keys = list(keys)
    if not keys:
        return {}
    ids = [member for member, _ in keys]
    asked = pd.DataFrame(
        {
            "key": [f"{member}|{term.isoformat()}" for member, term in keys],
            "m": frames.member_codes(ids),
            "term_day": [day_number(term) for _, term in keys],
        }
    )
    terms = renewal_terms(frames, as_of_day=as_of_day, grace_days=grace_days)
    joined = asked.merge(terms[["m", "due_day", "closed", "renewed"]], on="m", how="left")
    joined["gap"] = (joined["due_day"] - joined["term_day"]).abs()
    joined = joined[joined["gap"] <= 31].sort_values(["key", "gap"]).drop_duplicates("key")
    out = {}
    for key, closed, renewed in zip(
        joined["key"], joined["closed"], joined["renewed"], strict=True
    ):
        out[key] = "pending" if not closed else ("renewed" if renewed == 1.0 else "lapsed")
    paid_thru = frames.parties["paid_thru_day"].to_numpy(float)
    for key, code, term_day in zip(asked["key"], asked["m"], asked["term_day"], strict=True):
        if key in out:
            continue
        moved = code >= 0 and paid_thru[code] > term_day
        if moved:
            out[key] = "renewed"
        else:
            out[key] = "lapsed" if term_day + grace_days < as_of_day else "pending"
    return out
