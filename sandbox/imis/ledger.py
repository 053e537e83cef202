"""Money and membership changes shared by ``advance`` and the write endpoints.

Paying an invoice follows iMIS's cash rules: the invoice and its subscription line carry the
payment, a DUES Activity row records it, and only a payment that clears the balance moves
PaidThruDate (and reinstates a lapsed member).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import behaviour as bh
from .profile_b import CANCELLED_NOTE, WRITTEN_OFF_NOTE
from .rows_billing import COMMLOG_SUBJECTS, COMMLOG_TEMPLATES
from .schemas import ACTIVITY_BASE, COMMLOG_BASE, PARTY_BASE, PAYMENT_BASE
from .table import DT, obj_full


def day_ms(day) -> np.datetime64:
    return np.datetime64(day, "D").astype(DT)


@dataclass
class Changes:
    """Rows touched during one step; parties and subscriptions get new stamps at the end."""

    parties: set[int] = field(default_factory=set)
    subscriptions: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, entity: str, n: int = 1) -> None:
        self.counts[entity] = self.counts.get(entity, 0) + n


def add_dues_activity(assoc, member_row: int, inv_row: int, amount: int, day, ch: Changes) -> None:
    inv = assoc.invoices
    type_idx = bh.ITEM_CODES.index(inv.get(inv_row, "item")) if inv.get(inv_row, "item") else 0
    acts = assoc.activities
    acts.append(
        seqn=ACTIVITY_BASE + acts.n,
        party_id=PARTY_BASE + member_row,
        type="DUES",
        tx_date=day_ms(day),
        eff_date=inv.col("term_begin")[inv_row],
        thru_date=inv.col("term_end")[inv_row],
        product_code=inv.get(inv_row, "item"),
        amount=amount,
        units=1.0,
        description="Membership dues payment",
        source_code="DUES",
        member_type=bh.TYPE_CODES[type_idx],
    )
    ch.add("Activity")


def add_payment_row(
    assoc,
    payor_id: int,
    amount: int,
    day,
    stamp,
    method: str,
    reference: str,
    message: str,
    invoice_ids: list[int],
    ch: Changes,
) -> int:
    pay = assoc.payments
    rows = pay.append(
        payment_id=PAYMENT_BASE + pay.n,
        party_id=payor_id,
        amount=amount,
        payment_date=day_ms(day),
        method=method,
        reference=reference,
        message=message,
        invoice_ids=" ".join(str(i) for i in invoice_ids),
        created_on=stamp,
    )
    ch.add("Payment")
    return int(rows[0])


def apply_to_invoice(assoc, inv_row: int, amount: int, day, ch: Changes) -> int:
    """Apply up to ``amount`` cents to one invoice; returns what was applied."""
    inv = assoc.invoices
    balance = int(inv.col("balance")[inv_row])
    applied = min(amount, balance)
    if applied <= 0:
        return 0
    inv.set(inv_row, paid=int(inv.col("paid")[inv_row]) + applied, balance=balance - applied)
    ch.add("InvoiceSummary")
    member = int(inv.col("sold_to")[inv_row]) - PARTY_BASE
    add_dues_activity(assoc, member, inv_row, applied, day, ch)
    st = assoc.state
    sub = int(st.col("sub")[member])
    inv_id = int(inv.col("invoice_id")[inv_row])
    subs = assoc.subscriptions
    if sub >= 0 and int(subs.col("invoice_id")[sub]) == inv_id:
        sub_balance = int(subs.col("balance")[sub]) - applied
        values = {
            "paid": int(subs.col("paid")[sub]) + applied,
            "balance": sub_balance,
            "payment_date": day_ms(day),
        }
        if sub_balance <= 0:
            values["paid_thru"] = subs.col("bill_through")[sub]
            values["status"] = "Active"
            values["cancelled_as_of"] = np.datetime64("NaT", "ms")
        subs.set(sub, **values)
        ch.subscriptions.add(sub)
        ch.add("Subscription")
    if balance - applied <= 0:
        _paid_in_full(assoc, member, inv_row, day, ch)
    return applied


def _paid_in_full(assoc, member: int, inv_row: int, day, ch: Changes) -> None:
    inv, st, parties = assoc.invoices, assoc.state, assoc.parties
    term_end = inv.col("term_end")[inv_row]
    term_begin = inv.col("term_begin")[inv_row]
    values = {}
    if np.isnat(parties.col("paid_thru")[member]) or parties.col("paid_thru")[member] < term_end:
        values["paid_thru"] = term_end
    if parties.get(member, "status") == "I" and bool(parties.col("is_member")[member]):
        values["status"] = "A"  # paying a lapsed term reinstates the member
        values["inactive_member"] = False
    if values:
        parties.set(member, **values)
        ch.parties.add(member)
        ch.add("Party")
    if int(st.col("open_inv")[member]) == inv_row:
        st.set(member, open_inv=-1)
    if day_ms(day) > term_begin and int(inv.col("s_outcome")[inv_row]) != bh.JOIN:
        st.set(member, past_late=int(st.col("past_late")[member]) + 1)
    if not bool(st.col("alive")[member]):
        next_term = term_end.astype("datetime64[D]") + 1
        st.set(
            member,
            alive=True,
            next_renewal=next_term.astype(DT),
            lapse_date=np.datetime64("NaT", "ms"),
        )


def lapse(assoc, member: int, inv_row: int, day, ch: Changes) -> None:
    """Grace is over and the renewal is unpaid: the member becomes inactive."""
    parties, st, subs = assoc.parties, assoc.state, assoc.subscriptions
    parties.set(member, status="I", inactive_member=True)
    ch.parties.add(member)
    ch.add("Party")
    sub = int(st.col("sub")[member])
    if sub >= 0:
        subs.set(sub, status="Inactive", cancelled_as_of=day_ms(day))
        ch.subscriptions.add(sub)
        ch.add("Subscription")
    paid_part = int(assoc.invoices.col("paid")[inv_row]) > 0
    if getattr(assoc, "profile", "default") == "b":
        # This site cancels the lapsed renewal: credited down to what was paid, with a note.
        inv = assoc.invoices
        unpaid = int(inv.col("balance")[inv_row])
        note = WRITTEN_OFF_NOTE if paid_part else CANCELLED_NOTE
        inv.set(
            inv_row, adjustment=int(inv.col("adjustment")[inv_row]) - unpaid, balance=0, note=note
        )
        ch.add("InvoiceSummary")
    st.set(
        member,
        alive=False,
        open_inv=-1,
        lapse_date=day_ms(day),
        next_renewal=np.datetime64("NaT", "ms"),
        past_partial=int(st.col("past_partial")[member]) + int(paid_part),
    )
    gm = assoc.group_members
    rows = np.flatnonzero((gm.col("party_id") == PARTY_BASE + member) & gm.col("is_active"))
    chapter_rows = [r for r in rows.tolist() if assoc.groups[gm.col("group")[r]][2] == "CHAPTER"]
    if chapter_rows:
        gm.set(chapter_rows, is_active=False)
        ch.add("GroupMember", len(chapter_rows))


def log_message(assoc, member: int, when, kind: int, inv_id: int, ch: Changes) -> None:
    log = assoc.comm_log
    email = bool(assoc.state.col("has_email")[member])
    log.append(
        log_id=COMMLOG_BASE + log.n,
        party_id=PARTY_BASE + member,
        sent_on=when,
        channel="Email" if email else "Letter",
        subject=COMMLOG_SUBJECTS[kind],
        template=COMMLOG_TEMPLATES[kind],
        status="Sent",
        sent_by="RenewalRun",
        invoice_id=inv_id,
    )
    ch.add("CommunicationLog")


def stamp_changes(assoc, ch: Changes, rng, day) -> None:
    """Give every party and subscription row changed on ``day`` a new update stamp."""
    base = day_ms(day) + np.timedelta64(8 * 3_600_000, "ms")
    for table, rows, column in (
        (assoc.parties, ch.parties, "updated_on"),
        (assoc.subscriptions, ch.subscriptions, "last_updated"),
    ):
        if not rows:
            continue
        idx = np.array(sorted(rows), dtype=np.int64)
        stamps = base + rng.integers(0, 9 * 3_600_000, len(idx)).astype("timedelta64[ms]")
        values = {column: stamps}
        if column == "updated_on":
            values["updated_by"] = obj_full(len(idx), "RenewalRun")
        table.set(idx, **values)
        assoc.note_stamp(stamps.max())


def stamp_now(assoc, ch: Changes) -> np.datetime64:
    """Stamp rows changed by an API write with one fresh site-local stamp."""
    stamp = assoc.stamp()
    if ch.parties:
        assoc.parties.set(sorted(ch.parties), updated_on=stamp, updated_by="API")
    if ch.subscriptions:
        assoc.subscriptions.set(sorted(ch.subscriptions), last_updated=stamp, updated_by="API")
    return stamp
