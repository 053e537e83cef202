"""Draw the people and organisations of the synthetic association (vectorised with numpy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import behaviour as bh
from . import names as nm
from .schemas import FORMER, MEMBER, NONMEMBER, ORG_MEMBER, ORG_PLAIN
from .table import obj_full


def month_start(months) -> np.ndarray:
    """First day (datetime64[D]) of integer months counted from 1970-01."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")


def months_of(days) -> np.ndarray:
    """Integer months since 1970-01 of datetime64 values."""
    return np.asarray(days).astype("datetime64[M]").astype(np.int64)


def years_of(days) -> np.ndarray:
    return np.asarray(days).astype("datetime64[Y]").astype(np.int64) + 1970


def seeded_rng(seed: int, members: int, as_of: date, part: int) -> np.random.Generator:
    return np.random.default_rng([seed, members, as_of.toordinal(), part])


def at_business_time(rng, days) -> np.ndarray:
    """Business-hours timestamps (08:00-17:00, ms precision) on the given days."""
    days = np.asarray(days, dtype="datetime64[D]").astype("datetime64[ms]")
    return days + rng.integers(8 * 3_600_000, 17 * 3_600_000, len(days)).astype("timedelta64[ms]")


def latest(*arrays) -> np.ndarray:
    """Element-wise latest date, ignoring NaT."""
    old = np.datetime64("1900-01-01")
    stacked = [np.where(np.isnat(a), old, a).astype("datetime64[D]") for a in arrays]
    return np.maximum.reduce(stacked)


@dataclass
class Population:
    """Everything drawn per party before the renewal history is simulated.

    Arrays cover all parties: organisations first (rows 0..n_org-1), then persons.
    """

    n_org: int
    n: int
    cat: np.ndarray
    type_idx: np.ndarray
    join: np.ndarray  # datetime64[D], NaT for non-members
    former_paid_thru: np.ndarray
    birth_year: np.ndarray
    region: np.ndarray
    chapter: np.ndarray  # object
    employer: np.ndarray  # party row, -1 none
    org_paid: np.ndarray
    payer: np.ndarray  # org rows only meaningful
    stability: np.ndarray
    committee: np.ndarray
    grad_year: np.ndarray
    latent: dict[str, np.ndarray]
    text: dict[str, list] = field(default_factory=dict)  # name, address, e-mail strings
    duplicates: list[tuple[int, int]] = field(default_factory=list)


def _weights(pool: list[str], plain: float = 1.0, fancy: float = 0.35) -> np.ndarray:
    w = np.array([plain if p.isascii() else fancy for p in pool])
    return w / w.sum()


def _choice(rng, pool, size, p=None) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.choice(len(pool), size=size, p=p)]


def draw_population(
    rng: np.random.Generator, n_persons: int, as_of_d: np.datetime64, chapters, profile="default"
):
    """Organisations and persons with their static attributes and hidden factors (in profile b,
    most organisation members sponsor employees' dues)."""
    n_org = max(6, n_persons // 25)
    n = n_org + n_persons
    org = np.arange(n) < n_org
    persons = ~org

    cat = np.full(n, MEMBER)
    corp = rng.random(n_org) < 0.35
    cat[:n_org] = np.where(corp, ORG_MEMBER, ORG_PLAIN)
    cat[n_org:] = rng.choice([MEMBER, FORMER, NONMEMBER], size=n_persons, p=[0.88, 0.07, 0.05])

    type_idx = np.full(n, bh.NM)
    type_idx[:n_org] = np.where(corp, bh.CORP, bh.NM)
    person_types = rng.choice(
        [bh.REG, bh.STU, bh.RET, bh.EARLY, bh.AFF], size=n_persons, p=[0.55, 0.09, 0.09, 0.15, 0.12]
    )
    type_idx[n_org:] = np.where(cat[n_org:] == NONMEMBER, bh.NM, person_types)

    # Tenure (years) by type at entry into the observed window; decades for regular members.
    tenure = np.select(
        [type_idx == bh.STU, type_idx == bh.EARLY, type_idx == bh.RET, type_idx == bh.AFF],
        [
            rng.uniform(0, 4.3, n),
            np.clip(rng.exponential(3.0, n), 0, 10),
            np.clip(12 + rng.exponential(12.0, n), 0, 50),
            np.clip(rng.exponential(6.0, n), 0, 30),
        ],
        default=np.clip(rng.exponential(11.0, n), 0, 45),
    )
    tenure = np.where(type_idx == bh.CORP, np.clip(rng.exponential(9.0, n), 0, 40), tenure)
    former = cat == FORMER
    tenure = np.where(former, rng.uniform(6, 40, n), tenure)
    join_days = (tenure * 365.25).astype(np.int64)
    join = month_start(months_of(as_of_d - join_days))
    join = np.where(np.isin(cat, [NONMEMBER, ORG_PLAIN]), np.datetime64("NaT"), join)
    # Former members stopped paying one to twelve years before the observed window opened.
    gone_months = months_of(as_of_d) - 52 - rng.integers(12, 144, n)
    gone_months = np.maximum(gone_months, months_of(join) + 12)
    former_paid_thru = np.where(former, month_start(gone_months) - 1, np.datetime64("NaT"))

    year = years_of(as_of_d)
    age = np.select(
        [type_idx == bh.STU, type_idx == bh.EARLY, type_idx == bh.RET],
        [rng.integers(19, 28, n), rng.integers(24, 36, n), rng.integers(63, 83, n)],
        default=rng.integers(28, 66, n),
    )
    birth_year = year - age

    region = rng.integers(0, len(nm.REGIONS), n)
    chapter = _chapters_for(rng, region, chapters)
    chapter[:n_org] = ""
    chapter[(cat == NONMEMBER) & (rng.random(n) < 0.7)] = ""

    payer = np.zeros(n, dtype=bool)
    payer[:n_org] = rng.random(n_org) < np.where(corp & (profile == "b"), 0.85, 0.30)
    stability = np.ones(n)
    stability[:n_org] = rng.beta(5.0, 1.5, n_org)
    employer, org_paid = _employers(rng, n_org, n, type_idx, cat, payer)

    latent = bh.draw_latent(rng, n, type_idx, profile)
    if profile == "b":
        latent["activity_scale"] = bh.ACTIVITY_SCALE_B
    committee = (
        (cat == MEMBER)
        & persons
        & (rng.random(n) < bh.sigmoid(-4.6 + 1.4 * latent["e0"] + 0.08 * np.minimum(tenure, 25)))
    )
    join_year = years_of(np.where(np.isnat(join), as_of_d, join))
    grad_year = np.where(
        type_idx == bh.STU,
        np.maximum(join_year, year - 4) + rng.integers(1, 5, n),
        0,
    )
    pop = Population(
        n_org=n_org,
        n=n,
        cat=cat,
        type_idx=type_idx,
        join=join,
        former_paid_thru=former_paid_thru,
        birth_year=birth_year,
        region=region,
        chapter=chapter,
        employer=employer,
        org_paid=org_paid,
        payer=payer,
        stability=stability,
        committee=committee,
        grad_year=grad_year,
        latent=latent,
    )
    _draw_text(rng, pop)
    return pop


def _chapters_for(rng, region: np.ndarray, chapters) -> np.ndarray:
    """Chapter code per party from its region; regions without a chapter are at-large ("")."""
    by_state: dict[str, list[str]] = {}
    for code, _name, states in chapters:
        for st in states:
            by_state.setdefault(st, []).append(code)
    out = obj_full(len(region), "")
    pick = rng.random(len(region))
    for r, (state, *_rest) in enumerate(nm.REGIONS):
        options = by_state.get(state)
        if not options:
            continue
        mask = region == r
        out[mask] = np.asarray(options, dtype=object)[(pick[mask] * len(options)).astype(int)]
    return out


def _employers(rng, n_org, n, type_idx, cat, payer):
    """Primary organisation per person, and whether that organisation pays the dues."""
    employed_p = np.select([type_idx == bh.STU, type_idx == bh.RET], [0.1, 0.1], default=0.45)
    employed = (np.arange(n) >= n_org) & (rng.random(n) < employed_p)
    weights = np.where(payer[:n_org], 3.0, 1.0)
    employer = np.where(employed, rng.choice(n_org, size=n, p=weights / weights.sum()), -1)
    eligible = (cat == MEMBER) & np.isin(type_idx, [bh.REG, bh.EARLY])
    org_paid = employed & eligible & payer[np.maximum(employer, 0)] & (rng.random(n) < 0.75)
    # Every paying organisation covers at least two employees ("pays for several").
    spare = list(np.flatnonzero(eligible & ~org_paid & (employer < 0))[::-1])
    for o in np.flatnonzero(payer[:n_org]):
        have = int(np.count_nonzero(org_paid & (employer == o)))
        while have < 2 and spare:
            p = spare.pop()
            employer[p] = o
            org_paid[p] = True
            have += 1
    return employer, org_paid


def _draw_text(rng, pop: Population) -> None:
    """Names, addresses, phones and e-mails, including look-alike duplicate people."""
    n, n_org = pop.n, pop.n_org
    np_ = n - n_org
    first = _choice(rng, nm.FIRST_NAMES, np_, _weights(nm.FIRST_NAMES))
    last = _choice(rng, nm.LAST_NAMES, np_, _weights(nm.LAST_NAMES))
    prefix = _choice(rng, nm.PREFIXES, np_, nm.PREFIX_WEIGHTS)
    suffix = _choice(rng, nm.SUFFIXES, np_, nm.SUFFIX_WEIGHTS)
    initials = [f"{m}." for m in nm.MIDDLE_INITIALS]
    middle = np.where(rng.random(np_) < 0.4, _choice(rng, initials, np_), "")
    nick = rng.random(np_) < 0.5
    informal = np.array(
        [nm.NICKNAMES.get(f, f) if k else f for f, k in zip(first, nick, strict=True)], dtype=object
    )
    has_email = rng.random(np_) >= 0.05

    org_names = _org_names(rng, n_org, pop.region[:n_org])

    # Look-alike duplicates: a non-member record that echoes a member ("Jon Smith" beside
    # "John Smith"), as left behind by event sign-ups and imports.
    person_cat = pop.cat[n_org:]
    sources = rng.permutation(np.flatnonzero(person_cat == MEMBER))
    targets = rng.permutation(np.flatnonzero(person_cat == NONMEMBER))
    k = min(max(2, np_ // 100), len(sources), len(targets))
    email_mode = np.zeros(np_, dtype=np.int64)  # 0 own, 1 copy of source, 2 none
    dup_src = np.full(np_, -1)
    for j, (s, t) in enumerate(zip(sources[:k], targets[:k], strict=True)):
        if j == 0:
            first[s], last[s] = "John", "Smith"
        first[t] = nm.LOOKALIKE_FIRST.get(first[s], first[s])
        last[t] = nm.LOOKALIKE_LAST.get(last[s], last[s]) if rng.random() < 0.5 else last[s]
        if j == 0:
            first[t], last[t] = "Jon", "Smith"
        informal[t] = first[t]
        prefix[t], suffix[t], middle[t] = "", "", ""
        pop.region[n_org + t] = pop.region[n_org + s]
        pop.chapter[n_org + t] = pop.chapter[n_org + s]
        email_mode[t] = rng.choice([1, 2, 0], p=[0.4, 0.3, 0.3])
        dup_src[t] = s
        has_email[s] = True
        pop.duplicates.append((n_org + int(s), n_org + int(t)))

    emails = _emails(rng, first, last, pop.employer[n_org:], org_names)
    for t in np.flatnonzero(dup_src >= 0):
        if email_mode[t] == 1:
            emails[t] = emails[dup_src[t]]
        has_email[t] = email_mode[t] != 2
    emails = [e if h else "" for e, h in zip(emails, has_email, strict=True)]
    org_emails = [f"info@{_domain(o)}" for o in org_names]

    streets = _choice(rng, nm.STREETS, n)
    numbers = rng.integers(1, 9900, n)
    city_pick = rng.random(n)
    cities, postals = [], []
    postal_tail = rng.integers(0, 100, n)
    for i in range(n):
        _state, _sname, country, city_list, stem = nm.REGIONS[pop.region[i]]
        cities.append(city_list[int(city_pick[i] * len(city_list))])
        if country == "CA":
            postals.append(f"{stem} {postal_tail[i] % 9 + 1}A{postal_tail[i] // 10}")
        else:
            postals.append(f"{stem}{postal_tail[i]:02d}")
    area = rng.integers(201, 989, n)
    line = rng.integers(0, 100, n)
    pop.text = {
        "first": [""] * n_org + first.tolist(),
        "last": [""] * n_org + last.tolist(),
        "prefix": [""] * n_org + prefix.tolist(),
        "suffix": [""] * n_org + suffix.tolist(),
        "middle": [""] * n_org + middle.tolist(),
        "informal": [""] * n_org + informal.tolist(),
        "org_name": org_names + [""] * np_,
        "email": org_emails + emails,
        "has_email": np.concatenate([np.ones(n_org, dtype=bool), has_email]),
        "street": [f"{a} {b}" for a, b in zip(numbers.tolist(), streets.tolist(), strict=True)],
        "city": cities,
        "postal": postals,
        "phone": [
            f"({a}) 555-01{b:02d}" for a, b in zip(area.tolist(), line.tolist(), strict=True)
        ],
        "phone_type": _choice(rng, ["Mobile", "_Work Phone", "_Home Phone"], n).tolist(),
        "title": [
            t if e >= 0 else ""
            for t, e in zip(_choice(rng, nm.JOB_TITLES, n).tolist(), pop.employer, strict=True)
        ],
    }


def _org_names(rng, n_org: int, region: np.ndarray) -> list[str]:
    cores = _choice(rng, nm.ORG_CORES, n_org)
    kinds = _choice(rng, nm.ORG_KINDS, n_org)
    forms = _choice(rng, nm.ORG_FORMS, n_org)
    seen: dict[str, int] = {}
    out = []
    for c, k, f, r in zip(cores, kinds, forms, region, strict=True):
        name = f"{c} {k} {f}".strip()
        if name in seen:
            seen[name] += 1
            name = f"{c} {k} of {nm.REGIONS[r][3][0]} {f}".strip()
            if name in seen:
                name = f"{name} ({seen[f'{c} {k} {f}'.strip()]})"
        seen.setdefault(name, 1)
        out.append(name)
    return out


def _domain(org_name: str) -> str:
    return nm.ascii_fold(org_name.split(" ")[0]) + ".example.org"


def _emails(rng, first, last, employer, org_names) -> list[str]:
    style = rng.integers(0, 4, len(first))
    number = rng.integers(1, 99, len(first))
    public = _choice(rng, nm.EMAIL_DOMAINS, len(first))
    work = rng.random(len(first)) < 0.6
    fold = {}
    out = []
    for f, la, s, num, pub, w, e in zip(
        first, last, style, number, public, work, employer, strict=True
    ):
        ff = fold.get(f) or fold.setdefault(f, nm.ascii_fold(f))
        ll = fold.get(la) or fold.setdefault(la, nm.ascii_fold(la))
        local = (f"{ff}.{ll}", f"{ff}{ll}{num}", f"{ff[:1]}{ll}", f"{ff}_{ll}")[s]
        domain = _domain(org_names[e]) if (w and e >= 0) else pub
        out.append(f"{local}@{domain}")
    return out


def draw_newcomers(rng, k: int, n_org: int, org_names: list[str], chapters) -> dict:
    """Attributes of ``k`` people joining now (no duplicates among them)."""
    first = _choice(rng, nm.FIRST_NAMES, k, _weights(nm.FIRST_NAMES))
    last = _choice(rng, nm.LAST_NAMES, k, _weights(nm.LAST_NAMES))
    type_idx = rng.choice([bh.STU, bh.EARLY, bh.REG, bh.AFF], size=k, p=[0.25, 0.35, 0.3, 0.1])
    region = rng.integers(0, len(nm.REGIONS), k)
    employed = rng.random(k) < 0.35
    employer = np.where(employed, rng.integers(0, n_org, k), -1)
    has_email = rng.random(k) >= 0.05
    emails = _emails(rng, first, last, employer, org_names)
    cities = [
        nm.REGIONS[r][3][int(u * len(nm.REGIONS[r][3]))]
        for r, u in zip(region.tolist(), rng.random(k).tolist(), strict=True)
    ]
    postals = [
        f"{nm.REGIONS[r][4]} 1A{t % 10}"
        if nm.REGIONS[r][2] == "CA"
        else f"{nm.REGIONS[r][4]}{t:02d}"
        for r, t in zip(region.tolist(), rng.integers(0, 100, k).tolist(), strict=True)
    ]
    return {
        "first": first.tolist(),
        "last": last.tolist(),
        "prefix": _choice(rng, nm.PREFIXES, k, nm.PREFIX_WEIGHTS).tolist(),
        "type_idx": type_idx,
        "region": region,
        "chapter": _chapters_for(rng, region, chapters),
        "employer": employer,
        "has_email": has_email,
        "email": [e if h else "" for e, h in zip(emails, has_email, strict=True)],
        "street": [
            f"{n} {s}"
            for n, s in zip(
                rng.integers(1, 9900, k).tolist(), _choice(rng, nm.STREETS, k).tolist(), strict=True
            )
        ],
        "city": cities,
        "postal": postals,
        "phone": [
            f"({a}) 555-01{b:02d}"
            for a, b in zip(
                rng.integers(201, 989, k).tolist(), rng.integers(0, 100, k).tolist(), strict=True
            )
        ],
        "title": [
            t if e >= 0 else ""
            for t, e in zip(_choice(rng, nm.JOB_TITLES, k).tolist(), employer.tolist(), strict=True)
        ],
        "latent": bh.draw_latent(rng, k, type_idx),
        "birth_year": np.select(
            [type_idx == bh.STU, type_idx == bh.EARLY],
            [rng.integers(19, 28, k), rng.integers(24, 36, k)],
            default=rng.integers(28, 66, k),
        ),
        "grad_offset": rng.integers(1, 5, k),
        "uuid_bits": rng.integers(0, 2**63 - 1, size=(k, 2), dtype=np.int64),
    }
