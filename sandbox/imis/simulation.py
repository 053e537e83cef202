"""Time moving forward: what happens at the association on each simulated day.

Each day draws from its own seeded generator, so ``advance(10); advance(20)`` and
``advance(30)`` give the same data. Only rows that really change get new stamps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import behaviour as bh
from .engagement import LABELS, activity_factor, description, half_bounds, half_year
from .history import current_cycle_first_month, schedule_payments
from .joining import create_people
from .ledger import (
    Changes,
    add_payment_row,
    apply_to_invoice,
    day_ms,
    lapse,
    log_message,
    stamp_changes,
)
from .population import month_start, months_of, years_of
from .schemas import (
    ACTIVITY_BASE,
    ENGAGEMENT_TYPES,
    FORMER,
    INVOICE_BASE,
    LATENT_KEYS,
    MEMBER,
    NONMEMBER,
    PARTY_BASE,
)
from .table import DT, obj_full

NAT = np.datetime64("NaT", "ms")
JOIN_RATE = 0.14  # new members per active member per year, roughly replacing lapses


def advance(assoc, days: int) -> dict[str, int]:
    if days < 0:
        raise ValueError("time only moves forward: days must be >= 0")
    totals: dict[str, int] = {}
    for _ in range(days):
        day = assoc.now.astype("datetime64[D]") + 1
        rng = np.random.default_rng(
            [assoc.seed, assoc.members, assoc.as_of.toordinal(), 77, int(day.astype(np.int64))]
        )
        ch = Changes()
        if day == month_start(months_of(day)):
            _billing_run(assoc, day, rng, ch)
            if (months_of(day) % 12) == 0:
                _new_year_prices(assoc, day, ch)
        _scheduled_payments(assoc, day, rng, ch)
        _reminders(assoc, day, ch)
        _lapses(assoc, day, ch)
        _employer_changes(assoc, day, rng, ch)
        _new_members(assoc, day, rng, ch)
        _engagement(assoc, day, rng, ch)
        stamp_changes(assoc, ch, rng, day)
        assoc.now = day_ms(day) + np.timedelta64(17 * 3_600_000, "ms")
        assoc.note_stamp(assoc.now)
        assoc.days_advanced += 1
        for k, v in ch.counts.items():
            totals[k] = totals.get(k, 0) + v
    return totals


def _latent(assoc) -> dict[str, np.ndarray]:
    st = assoc.state
    latent = {k: st.col(k) for k in LATENT_KEYS}
    if getattr(assoc, "profile", "default") == "b":
        latent["activity_scale"] = bh.ACTIVITY_SCALE_B
    return latent


def _years(assoc, day) -> float | np.ndarray:
    return (np.asarray(day, dtype="datetime64[D]") - assoc.origin).astype(np.int64) / 365.25


def _cycle_of(assoc, renewal_month: np.ndarray) -> np.ndarray:
    return 3 + (renewal_month - current_cycle_first_month(assoc.origin)) // 12


# -- renewals -----------------------------------------------------------------------------------
def _billing_run(assoc, day, rng, ch: Changes) -> None:
    """Bill every member whose term starts two months from today."""
    st, parties, subs, inv = assoc.state, assoc.parties, assoc.subscriptions, assoc.invoices
    r_m = int(months_of(day)) + bh.BILL_LEAD_MONTHS
    r = month_start(r_m)
    cand = np.flatnonzero(st.col("alive") & (st.col("next_renewal") == day_ms(r)))
    if len(cand) == 0:
        return
    n = len(cand)
    year = int(years_of(r))
    type_now = st.col("type")[cand].copy()
    grad = (type_now == bh.STU) & (year >= st.col("grad_year")[cand])
    promote = (type_now == bh.EARLY) & (year - st.col("early_since")[cand] >= 5) & ~grad
    age = year - st.col("birth_year")[cand]
    retire = (type_now == bh.REG) & (age >= 63) & (rng.random(n) < 0.35)
    old_type = type_now.copy()
    type_now[grad] = bh.EARLY
    type_now[promote] = bh.REG
    type_now[retire] = bh.RET
    price = assoc.prices.cents(type_now, np.full(n, year))
    last_price = st.col("last_price")[cand]
    price_change = price / np.maximum(last_price, 1) - 1.0
    t_r = float(_years(assoc, r))
    latent = _latent(assoc)
    eng = bh.engagement(latent, cand, t_r - 0.25)
    trend = eng - bh.engagement(latent, cand, t_r - 1.25)
    tenure = (r_m - months_of(st.col("join")[cand])) // 12
    recent_drop = st.col("drop_date")[cand] > day_ms(r - 365)
    org_paid = st.col("org_paid")[cand]
    x = {
        "engagement": eng,
        "trend": trend,
        "price_change": price_change,
        "price_sensitivity": latent["price_sensitivity"][cand],
        "dropped_employer": np.where(recent_drop, st.col("drop_weight")[cand], 0.0),
        "org_paid": org_paid.astype(float),
        "past_late": st.col("past_late")[cand],
        "past_partial": st.col("past_partial")[cand],
        "first_renewal": (tenure == 1).astype(float),
        "tenure": tenure.astype(float),
        "type_idx": type_now,
        "committee": st.col("committee")[cand].astype(float),
        "discipline": latent["payment_discipline"][cand],
        "amount": price,
    }
    if getattr(assoc, "profile", "default") == "b":
        # Profile b's drivers; an organisation's sponsored employees are not followed as time
        # moves on (their loss counts in the generated history only).
        x["fall"] = bh.engagement(latent, cand, t_r - 0.5) - bh.engagement(latent, cand, t_r - 2.0)
        x["tier_changed"] = (type_now != old_type).astype(float)
        rate = np.exp(-1.3 - 0.7 * latent["payment_discipline"][cand])
        x["declines"] = np.minimum(rng.poisson(rate), 3).astype(float)
        x["sponsor_loss"] = x["sponsored"] = np.zeros(n)
        out = bh.renewal_outcomes_b(rng, x)
    else:
        out = bh.renewal_outcomes(rng, x)
    sched = schedule_payments(np.full(n, r), np.full(n, r_m), price, out)
    bill_to = np.where(org_paid, st.col("employer")[cand], cand)
    term_end = month_start(r_m + 12) - 1
    inv_date = np.full(n, day_ms(day))
    term_rows = assoc.truth.add_terms(
        pd.DataFrame(
            {
                "PartyId": (PARTY_BASE + cand).astype(str),
                "cycle": _cycle_of(assoc, np.full(n, r_m)),
                "renewal_date": np.full(n, r),
                "invoice_id": (INVOICE_BASE + inv.n + np.arange(n)).astype(str),
                "member_type": np.asarray(bh.TYPE_CODES)[type_now],
                "amount": price / 100,
                "price_change": price_change,
                "billed_to_org": org_paid,
                "dropped_employer": x["dropped_employer"],
                "engagement": eng,
                "engagement_trend": trend,
                "past_late": x["past_late"],
                "past_partial": x["past_partial"],
                "first_renewal": tenure == 1,
                "tenure_years": tenure.astype(float),
                "p_lapse": out["p_lapse"],
                "outcome": np.asarray(bh.OUTCOMES)[out["outcome"]],
                "lapsed": np.isin(out["outcome"], [bh.PARTIAL, bh.LAPSED]),
                "first_payment": sched["pay1"],
                "paid_in_full": sched["full_paid"],
                "lapse_date": sched["lapse"],
                "closed": False,
            }
        )
    )
    item = np.asarray([*bh.ITEM_CODES, ""], dtype=object)[type_now]
    desc = [f"Membership renewal {year}-{year + 1}, {bh.TYPE_NAMES[t]}" for t in type_now.tolist()]
    rows = inv.append(
        invoice_id=INVOICE_BASE + inv.n + np.arange(n),
        invoice_date=inv_date,
        due_date=np.full(n, day_ms(r - 1)),
        purpose=obj_full(n, "MembershipRenewal"),
        bill_to=PARTY_BASE + bill_to,
        sold_to=PARTY_BASE + cand,
        amount=price,
        balance=price,
        description=np.array(desc, dtype=object),
        item=item,
        term_begin=np.full(n, day_ms(r)),
        term_end=np.full(n, day_ms(term_end)),
        s_pay1=sched["pay1"].astype(DT),
        s_amt1=sched["amt1"],
        s_pay2=sched["pay2"].astype(DT),
        s_amt2=sched["amt2"],
        s_lapse=sched["lapse"].astype(DT),
        s_outcome=out["outcome"],
        s_term=term_rows,
    )
    ch.add("InvoiceSummary", n)
    changed = np.flatnonzero(type_now != old_type)
    for j in changed.tolist():
        _switch_item(assoc, int(cand[j]), int(type_now[j]), day, r, ch)
    sub_rows = st.col("sub")[cand]
    subs.set(
        sub_rows,
        bill_begin=day_ms(r),
        bill_through=day_ms(term_end),
        bill_date=day_ms(day),
        billed=price,
        paid=0,
        balance=price,
        payment_date=NAT,
        invoice_id=INVOICE_BASE + rows,
        reminder_count=0,
        reminder_date=NAT,
        bill_to=PARTY_BASE + bill_to,
    )
    ch.subscriptions.update(sub_rows.tolist())
    ch.add("Subscription", n)
    parties.set(
        cand,
        renewed_thru=day_ms(term_end),
        ctype=np.asarray(bh.TYPE_CODES, dtype=object)[type_now],
    )
    ch.parties.update(cand.tolist())
    ch.add("Party", n)
    st.set(
        cand,
        type=type_now,
        next_renewal=day_ms(month_start(r_m + 12)),
        open_inv=rows,
        last_price=price,
        early_since=np.where(grad, year, st.col("early_since")[cand]),
    )
    stamp = day_ms(day) + np.timedelta64(7 * 3_600_000, "ms")
    for member, row in zip(cand.tolist(), rows.tolist(), strict=True):
        log_message(assoc, member, stamp, 0, INVOICE_BASE + row, ch)


def _switch_item(assoc, member: int, new_type: int, day, r, ch: Changes) -> None:
    """A tier change ends the old dues line and starts (or reopens) the new one."""
    st, subs = assoc.state, assoc.subscriptions
    old = int(st.col("sub")[member])
    if old >= 0:
        subs.set(old, status="Inactive", cancelled_as_of=day_ms(r))
        ch.subscriptions.add(old)
    key = f"~{PARTY_BASE + member}|{bh.ITEM_CODES[new_type]}"
    row = subs.find(key)
    if row is None:
        row = int(
            subs.append(
                key=key,
                party_id=PARTY_BASE + member,
                item=bh.ITEM_CODES[new_type],
                status="Active",
                begin_date=day_ms(r),
                continuous_since=day_ms(r),
                date_added=day_ms(day),
                paid_thru=subs.col("paid_thru")[old] if old >= 0 else NAT,
                updated_by="RenewalRun",
            )[0]
        )
    else:
        subs.set(row, status="Active", cancelled_as_of=NAT)
    st.set(member, sub=row)
    ch.subscriptions.add(row)


def _new_year_prices(assoc, day, ch: Changes) -> None:
    items = assoc.items
    year = int(years_of(day))
    types = items.col("type_idx")
    items.set(
        np.arange(items.n),
        price=assoc.prices.cents(types, np.full(items.n, year)),
        updated_on=day_ms(day) + np.timedelta64(6 * 3_600_000, "ms"),
    )
    ch.add("Item", items.n)


_METHODS = np.array(["VISA", "MC", "AMEX", "CHECK", "ACH"], dtype=object)


def _scheduled_payments(assoc, day, rng, ch: Changes) -> None:
    inv = assoc.invoices
    today = day_ms(day)
    for date_col, amt_col in (("s_pay1", "s_amt1"), ("s_pay2", "s_amt2")):
        rows = np.flatnonzero((inv.col(date_col) == today) & (inv.col("balance") > 0))
        for r in rows.tolist():
            method = _METHODS[rng.choice(5, p=[0.4, 0.2, 0.1, 0.2, 0.1])]
            applied = apply_to_invoice(assoc, r, int(inv.col(amt_col)[r]), day, ch)
            if applied:
                ref = f"CHK{rng.integers(1000, 99999)}" if method == "CHECK" else ""
                stamp = today + np.timedelta64(int(rng.integers(8, 17)) * 3_600_000, "ms")
                add_payment_row(
                    assoc,
                    int(inv.col("bill_to")[r]),
                    applied,
                    day,
                    stamp,
                    method,
                    ref,
                    "Membership dues",
                    [int(inv.col("invoice_id")[r])],
                    ch,
                )


def _reminders(assoc, day, ch: Changes) -> None:
    inv, st, subs = assoc.invoices, assoc.state, assoc.subscriptions
    today = day_ms(day)
    lapse_at = inv.col("s_lapse")
    open_ = (
        (inv.col("balance") > 0)
        & (inv.col("s_outcome") != bh.JOIN)
        & (np.isnat(lapse_at) | (lapse_at > today))
        & (inv.col("invoice_date") <= today)
    )
    stamp = today + np.timedelta64(7 * 3_600_000, "ms")
    for bit, offset in enumerate(bh.REMINDER_OFFSETS):
        target = day_ms(day - offset)
        due = (
            open_ & (inv.col("term_begin") == target) & (((inv.col("s_reminded") >> bit) & 1) == 0)
        )
        for r in np.flatnonzero(due).tolist():
            member = int(inv.col("sold_to")[r]) - PARTY_BASE
            inv.set(r, s_reminded=int(inv.col("s_reminded")[r]) | (1 << bit))
            log_message(assoc, member, stamp, bit + 1, int(inv.col("invoice_id")[r]), ch)
            sub = int(st.col("sub")[member])
            if sub >= 0 and int(subs.col("invoice_id")[sub]) == int(inv.col("invoice_id")[r]):
                subs.set(
                    sub,
                    reminder_count=int(subs.col("reminder_count")[sub]) + 1,
                    reminder_date=today,
                )
                ch.subscriptions.add(sub)
                ch.add("Subscription")


def _lapses(assoc, day, ch: Changes) -> None:
    inv, st = assoc.invoices, assoc.state
    rows = np.flatnonzero((inv.col("s_lapse") == day_ms(day)) & (inv.col("balance") > 0))
    for r in rows.tolist():
        member = int(inv.col("sold_to")[r]) - PARTY_BASE
        if bool(st.col("alive")[member]):
            lapse(assoc, member, r, day, ch)


def _employer_changes(assoc, day, rng, ch: Changes) -> None:
    st, parties = assoc.state, assoc.parties
    employed = np.flatnonzero(st.col("employer") >= 0)
    if len(employed) == 0:
        return
    paid = st.col("org_paid")[employed]
    hazard = np.where(paid, 0.10, 0.08) / 365.0
    gone = employed[rng.random(len(employed)) < hazard]
    if len(gone) == 0:
        return
    weight = np.where(st.col("org_paid")[gone], 1.0, 0.3)
    orgs = st.col("employer")[gone].copy()
    parties.set(gone, primary_org=0, title="")
    st.set(gone, employer=-1, org_paid=False, drop_date=day_ms(day), drop_weight=weight)
    ch.parties.update(gone.tolist())
    ch.add("Party", len(gone))
    drops = pd.DataFrame(
        {
            "PartyId": (PARTY_BASE + gone).astype(str),
            "date": np.full(len(gone), np.datetime64(day, "D")),
            "OrganizationPartyId": (PARTY_BASE + orgs).astype(str),
        }
    )
    assoc.truth.employer_drops = pd.concat([assoc.truth.employer_drops, drops], ignore_index=True)


# -- joining --------------------------------------------------------------------------------------
def _new_members(assoc, day, rng, ch: Changes) -> None:
    st = assoc.state
    active = int(np.count_nonzero(st.col("alive") & (st.col("cat") == MEMBER)))
    k = int(rng.poisson(active * JOIN_RATE / 365.0))
    if k:
        create_people(assoc, rng, k, day, ch, members=True)


# -- engagement -----------------------------------------------------------------------------------
def _engagement(assoc, day, rng, ch: Changes) -> None:
    st, acts = assoc.state, assoc.activities
    h = int(half_year(day))
    if assoc.act_half != h:
        for i in range(len(ENGAGEMENT_TYPES)):
            st.set(np.arange(st.n), **{f"act_{i}": -1})
        assoc.act_half = h
    persons = np.flatnonzero(np.isin(st.col("cat"), [MEMBER, NONMEMBER, FORMER]))
    latent = _latent(assoc)
    eng = bh.engagement(latent, persons, float(_years(assoc, day)))
    until = np.where(st.col("alive")[persons], NAT, st.col("lapse_date")[persons])
    factor = activity_factor(day_ms(day), st.col("join")[persons], until)
    rates = bh.period_rates(latent, persons, eng)
    per_day = factor / 182.5
    counts = {
        "WEBLOGIN": rng.poisson(rates["WEBLOGIN"] * per_day),
        "COMMUNITY": rng.poisson(rates["COMMUNITY"] * per_day),
        "DOWNLOAD": rng.poisson(rates["DOWNLOAD"] * per_day),
    }
    if int(day.astype(object).day) == 10:  # the monthly newsletter goes out on the 10th
        p_open = np.clip(rates["EMAIL_OPEN_P"] * np.minimum(factor * 3, 1), 0, 1)
        opens = rng.binomial(st.col("has_email")[persons].astype(np.int64), p_open)
        counts["EMAIL_OPEN"] = opens
        counts["EMAIL_CLICK"] = rng.binomial(opens, rates["EMAIL_CLICK_P"])
    start, end = half_bounds(h)
    today = day_ms(day)
    types = np.asarray(bh.TYPE_CODES, dtype=object)
    for kind, count in counts.items():
        k = ENGAGEMENT_TYPES.index(kind)
        hit = np.flatnonzero(count > 0)
        if len(hit) == 0:
            continue
        who = persons[hit]
        ptr = st.col(f"act_{k}")[who]
        old = ptr >= 0
        if old.any():
            rows = ptr[old]
            acts.set(rows, units=acts.col("units")[rows] + count[hit][old], tx_date=today)
        new = np.flatnonzero(~old)
        if len(new):
            m = len(new)
            created = acts.append(
                seqn=ACTIVITY_BASE + acts.n + np.arange(m),
                party_id=PARTY_BASE + who[new],
                type=obj_full(m, kind),
                tx_date=np.full(m, today),
                eff_date=np.full(m, day_ms(start)),
                thru_date=np.full(m, day_ms(end)),
                units=count[hit][new].astype(float),
                description=obj_full(m, description(kind, h)),
                source_code=np.full(
                    m, LABELS[kind][1] if kind != "DOWNLOAD" else "WEB", dtype=object
                ),
                member_type=types[st.col("type")[who[new]]],
            )
            st.set(who[new], **{f"act_{k}": created})
        ch.add("Activity", len(hit))
