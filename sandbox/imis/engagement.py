"""Observable engagement: aggregated activity, events and registrations, groups, owners.

Engagement activity is aggregated to keep row counts sane: one Activity row per member,
ACTIVITY_TYPE and calendar half-year, with UNITS = how many logins/opens/posts happened in
that half-year, EFFECTIVE_DATE/THRU_DATE = the half-year and TRANSACTION_DATE = the day of
the latest one. The open half-year's row is updated in place as time moves forward, so its
TRANSACTION_DATE advances and an incremental read by TRANSACTION_DATE sees it again.
"""

from __future__ import annotations

import functools

import numpy as np

from . import behaviour as bh
from . import names as nm
from .population import month_start, months_of, years_of
from .schemas import FORMER, MEMBER, NONMEMBER
from .table import obj_full, obj_where

LABELS = {
    "WEBLOGIN": ("Web logins", "WEB"),
    "EMAIL_OPEN": ("E-mails opened", "EMAIL"),
    "EMAIL_CLICK": ("E-mail links clicked", "EMAIL"),
    "COMMUNITY": ("Community posts", "COMMUNITY"),
    "DOWNLOAD": ("Resource downloads", "WEB"),
}
# The open half-year and the four before it: enough that the older closed cycles have
# engagement history before their bill dates, as a real site's records do.
N_PERIODS = 5


def half_year(day) -> np.ndarray:
    """Half-year index (since 1970) of datetime64 days."""
    return months_of(day) // 6


def half_bounds(h) -> tuple[np.ndarray, np.ndarray]:
    return month_start(np.asarray(h) * 6), month_start(np.asarray(h) * 6 + 6) - 1


def half_label(h: int) -> str:
    return f"{1970 + h // 2} H{h % 2 + 1}"


@functools.cache
def description(kind: str, h: int) -> str:
    """One shared string per type and half-year (there are hundreds of thousands of rows)."""
    return f"{LABELS[kind][0]}, {half_label(h)} (aggregated)"


def activity_factor(when, member_from, member_until) -> np.ndarray:
    """1 while a member, a trickle before joining or after lapsing."""
    never = np.datetime64("9999-12-31")
    start = np.where(np.isnat(member_from), never, member_from)
    until = np.where(np.isnat(member_until), never, member_until)
    inside = (start <= when) & (when < until)
    return np.where(inside, 1.0, 0.08)


def draw_counts(rng, latent, idx, eng, factor, frac, has_email) -> dict[str, np.ndarray]:
    """Engagement counts for members ``idx`` over a fraction ``frac`` of a half-year."""
    rates = bh.period_rates(latent, idx, eng)
    scale = factor * frac
    sent = rng.binomial(np.round(bh.EMAILS_PER_PERIOD * frac).astype(np.int64), has_email * 1.0)
    opens = rng.binomial(sent, np.clip(rates["EMAIL_OPEN_P"] * np.minimum(factor * 3, 1), 0, 1))
    return {
        "WEBLOGIN": rng.poisson(rates["WEBLOGIN"] * scale),
        "EMAIL_OPEN": opens,
        "EMAIL_CLICK": rng.binomial(opens, rates["EMAIL_CLICK_P"]),
        "COMMUNITY": rng.poisson(rates["COMMUNITY"] * scale),
        "DOWNLOAD": rng.poisson(rates["DOWNLOAD"] * scale),
    }


def engagement_history(
    rng, pop, member_from, member_until, as_of_d, periods: int = N_PERIODS
) -> dict[str, np.ndarray]:
    """Aggregated engagement rows for persons over the last ``periods`` half-years (the one
    under way included)."""
    persons = np.flatnonzero(np.arange(pop.n) >= pop.n_org)
    has_email = pop.text["has_email"][persons]
    h_now = int(half_year(as_of_d))
    cols: dict[str, list] = {k: [] for k in ("party", "type", "tx", "eff", "thru", "units", "h")}
    for h in range(h_now - periods + 1, h_now + 1):
        start, end = half_bounds(h)
        last = min(end, as_of_d)
        span = (end - start).astype(int) + 1
        elapsed = (last - start).astype(int) + 1
        mid = start + elapsed // 2
        t_mid = (mid - as_of_d).astype(int) / 365.25
        eng = bh.engagement(pop.latent, persons, t_mid)
        factor = activity_factor(mid, member_from[persons], member_until[persons])
        counts = draw_counts(rng, pop.latent, persons, eng, factor, elapsed / span, has_email)
        for kind, count in counts.items():
            nz = np.flatnonzero(count > 0)
            u = rng.random(len(nz)) ** (1.0 / count[nz])
            cols["party"].append(persons[nz])
            cols["type"].append(obj_full(len(nz), kind))
            cols["tx"].append(start + np.floor(u * elapsed).astype(np.int64).clip(0, elapsed - 1))
            cols["eff"].append(np.full(len(nz), start))
            cols["thru"].append(np.full(len(nz), end))
            cols["units"].append(count[nz].astype(float))
            cols["h"].append(np.full(len(nz), h))
    return {k: np.concatenate(v) for k, v in cols.items()}


def events_history(rng, pop, chapters, member_from, member_until, as_of_d, n_persons):
    """Annual conferences and chapter meetings with registrations, no-shows and cancels."""
    year = int(years_of(as_of_d))
    per_chapter = int(np.clip(n_persons // 4000, 1, 3))
    events = []
    for y in range(year - 3, year + 1):
        day = np.datetime64(f"{y}-10-14") + int(rng.integers(0, 10))
        events.append((f"ANNCONF{y % 100:02d}", f"Annual Conference {y}", day, 2, "", 5000, 49500))
        for code, cname, _states in chapters:
            for j, month in enumerate((3, 6, 9)[:per_chapter]):
                day = np.datetime64(f"{y}-{month:02d}-01") + int(rng.integers(0, 27))
                season = ("Spring", "Summer", "Fall")[j]
                events.append(
                    (
                        f"{code}-{y % 100:02d}{month:02d}",
                        f"{cname} {season} Meeting {y}",
                        day,
                        0,
                        code,
                        150,
                        2500,
                    )
                )
    events = [e for e in events if e[2] <= as_of_d + 120]
    city = {c: nm.REGIONS[0][3][0] for c, *_ in chapters}
    region_of_state = {r[0]: r for r in nm.REGIONS}
    for code, _name, states in chapters:
        city[code] = region_of_state[states[0]][3][0]

    persons = np.flatnonzero(np.arange(pop.n) >= pop.n_org)
    cat = pop.cat[persons]
    eligible = np.isin(cat, [MEMBER, FORMER, NONMEMBER])
    regs: dict[str, list] = {k: [] for k in ("event", "party", "reg_date", "status", "attended")}
    for e, (_eid, _name, day, _dur, chapter, _cap, _price) in enumerate(events):
        cand = persons[eligible & ((pop.chapter[persons] == chapter) if chapter else True)]
        t = (day - as_of_d).astype(int) / 365.25
        eng = bh.engagement(pop.latent, cand, t)
        factor = activity_factor(day, member_from[cand], member_until[cand])
        base = -3.1 if not chapter else -2.9
        p = bh.sigmoid(base + 0.9 * eng + 0.4 * pop.committee[cand]) * np.minimum(factor * 3, 1)
        who = cand[rng.random(len(cand)) < p]
        reg_date = day - rng.integers(3, 90, len(who))
        keep = reg_date <= as_of_d
        who, reg_date = who[keep], reg_date[keep]
        cancelled = rng.random(len(who)) < 0.05
        eng_who = bh.engagement(pop.latent, who, t)
        attended = (
            (day < as_of_d) & ~cancelled & (rng.random(len(who)) < bh.sigmoid(1.6 + 0.6 * eng_who))
        )
        regs["event"].append(np.full(len(who), e))
        regs["party"].append(who)
        regs["reg_date"].append(reg_date)
        regs["status"].append(obj_where(cancelled, "Cancelled", "Registered"))
        regs["attended"].append(attended)
    reg_arr = {k: np.concatenate(v) for k, v in regs.items()}
    event_rows = {
        "event_id": [e[0] for e in events],
        "name": [e[1] for e in events],
        "start": np.array([e[2] for e in events], dtype="datetime64[D]"),
        "end": np.array([e[2] + e[3] for e in events], dtype="datetime64[D]"),
        "location": [city[e[4]] if e[4] else "Chicago" for e in events],
        "capacity": [e[5] for e in events],
        "category": ["CONF" if not e[4] else "CHAPTER" for e in events],
        "chapter": [e[4] for e in events],
        "price": [e[6] for e in events],
    }
    return event_rows, reg_arr


def groups_history(rng, pop, chapters, groups, alive_now, as_of_d):
    """Chapter and committee group membership rows, plus relationship owners."""
    group_index = {g[0]: i for i, g in enumerate(groups)}
    persons = np.flatnonzero(np.arange(pop.n) >= pop.n_org)
    in_chapter = persons[np.isin(pop.cat[persons], [MEMBER, FORMER]) & (pop.chapter[persons] != "")]
    rows: dict[str, list] = {k: [] for k in ("group", "party", "join", "active", "role")}
    rows["group"].append(np.array([group_index[f"CHAPTER/{c}"] for c in pop.chapter[in_chapter]]))
    rows["party"].append(in_chapter)
    rows["join"].append(pop.join[in_chapter].astype("datetime64[D]"))
    rows["active"].append(alive_now[in_chapter])
    rows["role"].append(obj_full(len(in_chapter), "Member"))

    committee_ids = [i for i, g in enumerate(groups) if g[2] == "COMMITTEE"]
    serving = persons[pop.committee[persons]]
    first = rng.choice(committee_ids, len(serving))
    second = rng.choice(committee_ids, len(serving))
    both = (rng.random(len(serving)) < 0.1) & (second != first)
    party = np.concatenate([serving, serving[both]])
    group = np.concatenate([first, second[both]])
    since = np.maximum(pop.join[party].astype("datetime64[D]"), as_of_d - 6 * 365)
    span = np.maximum((as_of_d - since).astype(int), 1)
    join = since + (rng.random(len(party)) * span).astype(np.int64)
    active = alive_now[party] & (rng.random(len(party)) < 0.85)
    role = obj_full(len(party), "Member")
    chairs = []
    for g in committee_ids:
        members = np.flatnonzero((group == g) & active)
        if len(members):
            role[members[0]] = "Chair"
            chairs.append(party[members[0]])
        if len(members) > 1:
            role[members[1]] = "Vice Chair"
    rows["group"].append(group)
    rows["party"].append(party)
    rows["join"].append(join)
    rows["active"].append(active)
    rows["role"].append(role)
    gm = {k: np.concatenate(v) for k, v in rows.items()}

    corp = np.flatnonzero(pop.cat == 4)  # ORG_MEMBER
    tenure = (as_of_d - pop.join.astype("datetime64[D]")).astype(np.int64) / 365.25
    veterans = persons[
        (pop.type_idx[persons] == bh.REG)
        & (np.nan_to_num(tenure[persons], nan=0) > 10)
        & (rng.random(len(persons)) < 0.03)
    ]
    owned = np.unique(np.concatenate([corp, np.array(chairs, dtype=np.int64), veterans]))
    staff_idx = np.where(
        np.isin(owned, corp),
        rng.choice([1, 2, 5], len(owned)),
        rng.choice(len(nm.STAFF_USERS), len(owned)),
    )
    rel = {
        "party": owned,
        "staff": [nm.STAFF_USERS[s][0] for s in staff_idx],
        "role": [nm.STAFF_USERS[s][1] for s in staff_idx],
    }
    return gm, rel
