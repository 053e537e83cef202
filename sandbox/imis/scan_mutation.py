"""The mid-scan mutation fault: rows inserted and updated between two page reads."""

from __future__ import annotations

import numpy as np

from .engagement import description, half_bounds, half_year
from .entities import ENTITIES
from .joining import create_people
from .ledger import (
    Changes,
    add_payment_row,
    apply_to_invoice,
    day_ms,
    log_message,
    stamp_now,
)
from .schemas import (
    ACTIVITY_BASE,
    MEMBER,
    PARTY_BASE,
)
from .table import obj_full

NAT = np.datetime64("NaT", "ms")


def mutate_for_scan(assoc, entity: str, rng, earlier_rows: np.ndarray) -> dict[str, int]:
    """Insert and update rows of ``entity`` mid-scan (some of them already served)."""
    ch = Changes()
    day = assoc.now.astype("datetime64[D]")
    pick = earlier_rows if len(earlier_rows) else np.arange(assoc.tables[_table(entity)].n)
    chosen = rng.choice(pick, size=min(3, len(pick)), replace=False) if len(pick) else []
    if entity == "party":
        for r in chosen:
            assoc.parties.set(
                int(r), phone=f"({rng.integers(201, 989)}) 555-01{rng.integers(0, 100):02d}"
            )
            ch.parties.add(int(r))
            ch.add("Party")
        create_people(assoc, rng, 2, day, ch, members=False)
    elif entity == "invoicesummary":
        inv = assoc.invoices
        open_rows = [int(r) for r in pick if inv.col("balance")[r] > 0][:2]
        if not open_rows:
            open_rows = np.flatnonzero(inv.col("balance") > 0)[:2].tolist()
        for r in open_rows:
            applied = apply_to_invoice(assoc, r, int(inv.col("balance")[r]), day, ch)
            add_payment_row(
                assoc,
                int(inv.col("bill_to")[r]),
                applied,
                day,
                assoc.stamp(),
                "ACH",
                "",
                "Membership dues",
                [int(inv.col("invoice_id")[r])],
                ch,
            )
    elif entity in ("subscription", "legacysubscription"):
        subs = assoc.subscriptions
        for r in chosen:
            subs.set(
                int(r),
                reminder_count=int(subs.col("reminder_count")[r]) + 1,
                reminder_date=day_ms(day),
            )
            ch.subscriptions.add(int(r))
            ch.add("Subscription")
    elif entity == "activity":
        acts = assoc.activities
        for r in chosen:
            acts.set(int(r), units=float(acts.col("units")[r]) + 1, tx_date=day_ms(day))
            ch.add("Activity")
        who = rng.choice(np.flatnonzero(~assoc.parties.col("is_org")), size=2)
        h = int(half_year(day))
        start, end = half_bounds(h)
        acts.append(
            seqn=ACTIVITY_BASE + acts.n + np.arange(2),
            party_id=PARTY_BASE + who,
            type=obj_full(2, "WEBLOGIN"),
            tx_date=np.full(2, day_ms(day)),
            eff_date=np.full(2, day_ms(start)),
            thru_date=np.full(2, day_ms(end)),
            units=np.ones(2),
            description=obj_full(2, description("WEBLOGIN", h)),
            source_code=obj_full(2, "WEB"),
        )
        ch.add("Activity", 2)
    elif entity == "communicationlog":
        for r in rng.choice(np.flatnonzero(assoc.state.col("cat") == MEMBER), size=2):
            log_message(assoc, int(r), assoc.stamp(), 1, 0, ch)
    elif entity == "groupmember":
        gm = assoc.group_members
        for r in chosen:
            gm.set(int(r), is_active=not bool(gm.col("is_active")[r]))
            ch.add("GroupMember")
    stamp_now(assoc, ch)
    return ch.counts


def _table(entity: str) -> str:
    return ENTITIES[entity].table
