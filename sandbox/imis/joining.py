"""New people arriving: paid-up joiners (with their first invoice) and prospects."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from . import behaviour as bh
from .ledger import (
    Changes,
    add_payment_row,
    apply_to_invoice,
    day_ms,
    log_message,
)
from .population import draw_newcomers, month_start, months_of, years_of
from .schemas import (
    ENGAGEMENT_TYPES,
    INVOICE_BASE,
    LATENT_KEYS,
    MEMBER,
    NONMEMBER,
    PARTY_BASE,
)
from .table import obj_full

NAT = np.datetime64("NaT", "ms")


def create_people(assoc, rng, k: int, day, ch: Changes, members: bool) -> np.ndarray:
    """Add ``k`` people: paid-up new members (join invoice paid today) or prospects."""
    parties, st = assoc.parties, assoc.state
    n_org = int(np.count_nonzero(parties.col("is_org")))
    org_names = parties.col("org_name")[:n_org].tolist()
    d = draw_newcomers(rng, k, n_org, org_names, assoc.chapters)
    type_idx = d["type_idx"] if members else np.full(k, bh.NM)
    join_m = int(months_of(day))
    join = month_start(join_m)
    term_end = month_start(join_m + 12) - 1
    stamp = day_ms(day) + rng.integers(8 * 3_600_000, 17 * 3_600_000, k).astype("timedelta64[ms]")
    empty = obj_full(k, "")
    rows = parties.append(
        party_id=PARTY_BASE + parties.n + np.arange(k),
        uniform_id=np.array(
            [
                str(uuid.UUID(int=(int(a) << 64 | int(b)), version=4))
                for a, b in d["uuid_bits"].tolist()
            ],
            dtype=object,
        ),
        prefix=np.array(d["prefix"], dtype=object),
        first=np.array(d["first"], dtype=object),
        last=np.array(d["last"], dtype=object),
        middle=empty,
        suffix=empty,
        informal=np.array(d["first"], dtype=object),
        org_name=empty,
        title=np.array(d["title"], dtype=object),
        primary_org=np.where(d["employer"] >= 0, PARTY_BASE + d["employer"], 0),
        email=np.array(d["email"], dtype=object),
        phone=np.array(d["phone"], dtype=object),
        phone_type=obj_full(k, "Mobile"),
        street=np.array(d["street"], dtype=object),
        city=np.array(d["city"], dtype=object),
        region=d["region"],
        postal=np.array(d["postal"], dtype=object),
        status=obj_full(k, "A"),
        ctype=np.asarray(bh.TYPE_CODES, dtype=object)[type_idx],
        is_member=np.full(k, members),
        join_date=np.full(k, day_ms(join) if members else NAT),
        paid_thru=np.full(k, day_ms(term_end) if members else NAT),
        renewed_thru=np.full(k, day_ms(term_end) if members else NAT),
        chapter=d["chapter"] if members else empty,
        birth_date=np.full(k, NAT),
        created_on=stamp,
        created_by=obj_full(k, "WEB"),
        updated_on=stamp,
        updated_by=obj_full(k, "WEB"),
    )
    assoc.note_stamp(stamp.max())
    ch.add("Party", k)
    year = int(years_of(day))
    price = assoc.prices.cents(type_idx, np.full(k, year))
    st.append(
        type=type_idx,
        cat=np.full(k, MEMBER if members else NONMEMBER),
        alive=np.full(k, members),
        join=np.full(k, day_ms(join) if members else NAT),
        next_renewal=np.full(k, day_ms(month_start(join_m + 12)) if members else NAT),
        sub=np.full(k, -1),
        open_inv=np.full(k, -1),
        last_price=price,
        employer=d["employer"],
        grad_year=np.where(type_idx == bh.STU, year + d["grad_offset"], 0),
        early_since=np.where(type_idx == bh.EARLY, year, 0),
        birth_year=d["birth_year"],
        has_email=d["has_email"],
        lapse_date=np.full(k, NAT),
        drop_date=np.full(k, NAT),
        **{key: d["latent"][key] for key in LATENT_KEYS},
        **{f"act_{i}": np.full(k, -1) for i in range(len(ENGAGEMENT_TYPES))},
    )
    members_frame = pd.DataFrame(
        {
            "PartyId": (PARTY_BASE + rows).astype(str),
            "category": "member" if members else "nonmember",
            "member_type_at_entry": np.asarray(bh.TYPE_CODES)[type_idx],
            "engagement_base": d["latent"]["e0"],
            "engagement_slope": d["latent"]["slope"],
            "engagement_shock_onset_years": d["latent"]["shock_onset"],
            "engagement_shock": d["latent"]["shock_size"],
            "price_sensitivity": d["latent"]["price_sensitivity"],
            "payment_discipline": d["latent"]["payment_discipline"],
        }
    ).set_index("PartyId")
    assoc.truth.members = pd.concat([assoc.truth.members, members_frame])
    if members:
        for row, t in zip(rows.tolist(), type_idx.tolist(), strict=True):
            _join(assoc, row, t, day, join, term_end, rng, ch)
    return rows


def _join(assoc, member: int, type_idx: int, day, join, term_end, rng, ch: Changes) -> None:
    inv, subs, st = assoc.invoices, assoc.subscriptions, assoc.state
    price = int(assoc.prices.cents(type_idx, int(years_of(day))))
    item = bh.ITEM_CODES[type_idx]
    inv_row = int(
        inv.append(
            invoice_id=INVOICE_BASE + inv.n,
            invoice_date=day_ms(day),
            due_date=day_ms(join),
            purpose="MembershipJoin",
            bill_to=PARTY_BASE + member,
            sold_to=PARTY_BASE + member,
            amount=price,
            balance=price,
            description=f"New membership {int(years_of(day))}-{int(years_of(day)) + 1}, "
            f"{bh.TYPE_NAMES[type_idx]}",
            item=item,
            term_begin=day_ms(join),
            term_end=day_ms(term_end),
            s_pay1=day_ms(day),
            s_amt1=price,
            s_pay2=NAT,
            s_lapse=NAT,
            s_outcome=bh.JOIN,
            s_term=-1,
        )[0]
    )
    ch.add("InvoiceSummary")
    sub = int(
        subs.append(
            key=f"~{PARTY_BASE + member}|{item}",
            party_id=PARTY_BASE + member,
            item=item,
            status="Active",
            begin_date=day_ms(join),
            bill_begin=day_ms(join),
            bill_through=day_ms(term_end),
            bill_date=day_ms(day),
            continuous_since=day_ms(join),
            date_added=day_ms(day),
            updated_by="WEB",
            bill_to=PARTY_BASE + member,
            invoice_id=INVOICE_BASE + inv_row,
            billed=price,
            balance=price,
        )[0]
    )
    st.set(member, sub=sub)
    ch.subscriptions.add(sub)
    ch.add("Subscription")
    applied = apply_to_invoice(assoc, inv_row, price, day, ch)
    stamp = day_ms(day) + np.timedelta64(int(rng.integers(8, 17)) * 3_600_000, "ms")
    add_payment_row(
        assoc,
        PARTY_BASE + member,
        applied,
        day,
        stamp,
        "VISA",
        "",
        "Membership dues",
        [INVOICE_BASE + inv_row],
        ch,
    )
    log_message(assoc, member, stamp, 4, INVOICE_BASE + inv_row, ch)
    chapter = assoc.parties.get(member, "chapter")
    if chapter:
        group = next(i for i, g in enumerate(assoc.groups) if g[0] == f"CHAPTER/{chapter}")
        assoc.group_members.append(
            gm_id=f"CHAPTER/{chapter}:{PARTY_BASE + member}",
            group=group,
            party_id=PARTY_BASE + member,
            join_date=day_ms(join),
            is_active=True,
            role="Member",
            effective=day_ms(join),
        )
        ch.add("GroupMember")
