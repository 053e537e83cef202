"""Simulate three closed renewal cycles and the current one, per member and vectorised.

Anniversary billing: a member's term starts on the first of their join month each year, the
renewal run bills two months ahead, and a term unpaid three months after it starts lapses.
Outcomes come from ``behaviour.renewal_outcomes``; the events of the current cycle that fall
after ``as_of`` are left in each invoice's hidden schedule for ``Association.advance``.
"""

from __future__ import annotations

import numpy as np

from . import behaviour as bh
from .population import Population, month_start, months_of, years_of
from .schemas import MEMBER, ORG_MEMBER

NAT_D = np.datetime64("NaT", "D")


def _years_from(as_of_d: np.datetime64, days) -> np.ndarray:
    return (np.asarray(days, dtype="datetime64[D]") - as_of_d).astype(np.int64) / 365.25


def simulate_history(
    rng, pop: Population, prices: bh.PriceBook, as_of_d: np.datetime64, profile: str = "default"
) -> dict:
    """Per-member renewal history; returns join records, term records and final state.
    ``profile`` "b" draws outcomes from ``behaviour.renewal_outcomes_b`` and its drivers."""
    pidx = np.flatnonzero(np.isin(pop.cat, [MEMBER, ORG_MEMBER]))
    m = len(pidx)
    join = pop.join[pidx].astype("datetime64[D]")
    join_m = months_of(join)
    # The current cycle is the first anniversary whose grace period has not ended by as_of;
    # the three before it are closed.
    first = current_cycle_first_month(as_of_d)
    r3_m = first + (join_m - first) % 12
    tenure_years = (r3_m - join_m) // 12  # whole years from joining to the current renewal
    r0 = month_start(r3_m - 36)

    type_cur = pop.type_idx[pidx].copy()
    entry_year = np.where(tenure_years >= 5, years_of(r0) - 1, years_of(join))
    last_price = prices.cents(type_cur, entry_year)
    employer = pop.employer[pidx].copy()
    org_paid = pop.org_paid[pidx].copy()
    early_since = np.where(type_cur == bh.EARLY, np.maximum(years_of(join), years_of(r0) - 4), 0)
    grad_year = pop.grad_year[pidx]
    alive = np.ones(m, dtype=bool)
    past_late = np.zeros(m, dtype=np.int64)
    past_partial = np.zeros(m, dtype=np.int64)
    paid_thru = np.where(tenure_years >= 5, r0 - 1, month_start(join_m + 12) - 1)
    renewed_thru = paid_thru.copy()
    lapse_date = np.full(m, NAT_D)
    next_renewal = np.full(m, NAT_D)
    type_change = np.full(m, -1)  # previous type when the member changed tier in the window
    type_change_date = np.full(m, NAT_D)
    last_term = np.full(m, -1)

    joined = tenure_years <= 4
    join_recs = {
        "m": np.flatnonzero(joined),
        "party": pidx[joined],
        "type": type_cur[joined],
        "term_begin": join[joined],
        "invoice_date": join[joined] - rng.integers(0, 12, m)[joined],
        "amount": last_price[joined],
    }
    join_recs["pay_date"] = join_recs["invoice_date"]

    drops_party, drops_date, drops_org, drops_paid = [], [], [], []
    terms: dict[str, list] = {}
    n_terms = 0
    for k in range(4):
        rk_m = r3_m - 12 * (3 - k)
        rk = month_start(rk_m)
        part = alive & (tenure_years >= 4 - k)

        # Profile b: employees each organisation sponsors before this term's job changes.
        sponsored = np.bincount(employer[org_paid & (employer >= 0)], minlength=pop.n)
        # Job changes during the term before renewal drop the PrimaryOrganization link.
        emp = np.maximum(employer, 0)
        hazard = np.where(org_paid, 0.04 + 0.3 * (1 - pop.stability[emp]), 0.08)
        drop_day = rk - rng.integers(20, 330, m)
        drop = (
            part
            & (employer >= 0)
            & (rng.random(m) < hazard)
            & (drop_day <= as_of_d)
            & (drop_day > month_start(rk_m - 12))
        )
        dropped = np.where(drop & org_paid, 1.0, np.where(drop, 0.3, 0.0))
        drops_party.append(pidx[drop])
        drops_date.append(drop_day[drop])
        drops_org.append(employer[drop])
        drops_paid.append(org_paid[drop])
        employer[drop] = -1
        org_paid[drop] = False

        year = years_of(rk)
        grad = part & (type_cur == bh.STU) & (year >= grad_year)
        promote = part & (type_cur == bh.EARLY) & (year - early_since >= 5) & ~grad
        age = year - pop.birth_year[pidx]
        retire = part & (type_cur == bh.REG) & (age >= 63) & (rng.random(m) < 0.35)
        changed = grad | promote | retire
        type_change[changed] = type_cur[changed]
        type_change_date[changed] = rk[changed]
        type_cur[grad] = bh.EARLY
        early_since[grad] = year[grad]
        type_cur[promote] = bh.REG
        type_cur[retire] = bh.RET

        price = prices.cents(type_cur, year)
        price_change = price / np.maximum(last_price, 1) - 1.0
        invoice_date = month_start(rk_m - bh.BILL_LEAD_MONTHS)
        billed = part & (invoice_date <= as_of_d)
        next_renewal[part & ~billed] = rk[part & ~billed]
        b = np.flatnonzero(billed)
        if len(b) == 0:
            continue
        t_r = _years_from(as_of_d, rk[b])
        eng = bh.engagement(pop.latent, pidx[b], t_r - 0.25)
        trend = eng - bh.engagement(pop.latent, pidx[b], t_r - 1.25)
        x = {
            "engagement": eng,
            "trend": trend,
            "price_change": price_change[b],
            "price_sensitivity": pop.latent["price_sensitivity"][pidx[b]],
            "dropped_employer": dropped[b],
            "org_paid": org_paid[b].astype(float),
            "past_late": past_late[b],
            "past_partial": past_partial[b],
            "first_renewal": (tenure_years[b] - (3 - k) == 1).astype(float),
            "tenure": (tenure_years[b] - (3 - k)).astype(float),
            "type_idx": type_cur[b],
            "committee": pop.committee[pidx[b]].astype(float),
            "discipline": pop.latent["payment_discipline"][pidx[b]],
            "amount": price[b],
        }
        if profile == "b":
            left = np.bincount(employer[org_paid & (employer >= 0)], minlength=pop.n)
            loss = (sponsored - left) / np.maximum(sponsored, 1)
            # The fall a renewal team can see at billing: the half-year before it against
            # the member's own level a year and a half earlier.
            x["fall"] = bh.engagement(pop.latent, pidx[b], t_r - 0.5) - bh.engagement(
                pop.latent, pidx[b], t_r - 2.0
            )
            x["tier_changed"] = changed[b].astype(float)
            # Card declines before the renewal: more often for the less disciplined payer.
            rate = np.exp(-1.3 - 0.7 * pop.latent["payment_discipline"][pidx[b]])
            x["declines"] = np.minimum(rng.poisson(rate), 3).astype(float)
            corp = type_cur[b] == bh.CORP
            x["sponsor_loss"] = np.where(corp, loss[pidx[b]], 0.0)
            x["sponsored"] = np.where(corp, np.log1p(sponsored[pidx[b]]), 0.0)
            out = bh.renewal_outcomes_b(rng, x)
        else:
            out = bh.renewal_outcomes(rng, x)
        sched = schedule_payments(rk[b], rk_m[b], price[b], out)

        full = sched["full_paid"]
        done = full <= as_of_d
        paid_thru[b[done]] = month_start(rk_m[b[done]] + 12) - 1
        renewed_thru[b] = month_start(rk_m[b] + 12) - 1
        lapsed_now = sched["lapse"] <= as_of_d
        alive[b[lapsed_now]] = False
        lapse_date[b] = sched["lapse"]
        past_late[b] += (out["outcome"] == bh.LATE) & done
        # Paying in parts (installments, or a partial payment) is remembered as a risk signal.
        split = out["installments"] | (out["outcome"] == bh.PARTIAL)
        past_partial[b] += split & ((sched["pay1"] <= as_of_d) | lapsed_now)
        last_price[b] = price[b]
        next_renewal[b] = np.where(lapsed_now, NAT_D, month_start(rk_m[b] + 12))
        last_term[b] = n_terms + np.arange(len(b))
        n_terms += len(b)

        bill_to = np.where(org_paid[b], employer[b], pidx[b])
        rec = {
            "m": b,
            "party": pidx[b],
            "cycle": np.full(len(b), k),
            "renewal_date": rk[b],
            "invoice_date": invoice_date[b],
            "type": type_cur[b],
            "amount": price[b],
            "price_change": price_change[b],
            "bill_to": bill_to,
            **{f"x_{key}": val for key, val in x.items() if key not in ("type_idx", "amount")},
            **out,
            **sched,
        }
        for key, val in rec.items():
            terms.setdefault(key, []).append(val)

    terms_arr = {key: np.concatenate(val) for key, val in terms.items()}
    # Members who joined in the current cycle renew a year after joining.
    fresh = alive & (tenure_years == 0)
    next_renewal[fresh] = month_start(join_m[fresh] + 12)
    state = {
        "pidx": pidx,
        "alive": alive,
        "type": type_cur,
        "paid_thru": paid_thru,
        "renewed_thru": renewed_thru,
        "lapse_date": lapse_date,
        "next_renewal": next_renewal,
        "past_late": past_late,
        "past_partial": past_partial,
        "last_price": last_price,
        "employer": employer,
        "org_paid": org_paid,
        "early_since": early_since,
        "type_change": type_change,
        "type_change_date": type_change_date,
        "last_term": last_term,
        "tenure_years": tenure_years,
    }
    drops = (
        np.concatenate(drops_party),
        np.concatenate(drops_date),
        np.concatenate(drops_org),
        np.concatenate(drops_paid),
    )
    return {"joins": join_recs, "terms": terms_arr, "state": state, "drops": drops}


def current_cycle_first_month(as_of_d) -> int:
    """Earliest renewal month (months since 1970) whose lapse date is after ``as_of``."""
    return int(months_of(as_of_d)) - bh.GRACE_MONTHS + 1


def schedule_payments(rk, rk_m, price, out: dict) -> dict:
    """Payment dates/amounts, full-payment date and lapse date for billed terms."""
    outcome = out["outcome"]
    pays = outcome != bh.LAPSED
    pay1 = np.where(pays, rk + out["pay1_day"], NAT_D)
    amt1 = np.where(pays, np.round(price * out["share1"] / 100).astype(np.int64) * 100, 0)
    amt1 = np.where(outcome == bh.PARTIAL, np.minimum(amt1, price - 100), amt1)
    inst = out["installments"]
    pay2 = np.where(inst, rk + out["pay2_day"], NAT_D)
    amt2 = np.where(inst, price - amt1, 0)
    full_paid = np.where(inst, pay2, np.where(np.isin(outcome, [bh.ON_TIME, bh.LATE]), pay1, NAT_D))
    lapse = np.where(
        np.isin(outcome, [bh.PARTIAL, bh.LAPSED]),
        month_start(rk_m + bh.GRACE_MONTHS),
        NAT_D,
    )
    return {
        "pay1": pay1.astype("datetime64[D]"),
        "amt1": amt1,
        "pay2": pay2.astype("datetime64[D]"),
        "amt2": amt2,
        "full_paid": full_paid.astype("datetime64[D]"),
        "lapse": lapse.astype("datetime64[D]"),
    }


def reminder_mask(rk, invoice_date, full_paid, lapse, upto) -> np.ndarray:
    """Bit i set when reminder i (``REMINDER_OFFSETS``) went out on or before ``upto``."""
    never = np.datetime64("9999-12-31")
    full = np.where(np.isnat(full_paid), never, full_paid)
    stop = np.where(np.isnat(lapse), never, lapse)
    mask = np.zeros(len(rk), dtype=np.int64)
    for bit, offset in enumerate(bh.REMINDER_OFFSETS):
        day = rk + offset
        sent = (day >= invoice_date) & (day < full) & (day < stop) & (day <= upto)
        mask |= sent.astype(np.int64) << bit
    return mask
