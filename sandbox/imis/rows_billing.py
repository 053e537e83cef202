"""Generated billing rows: subscription lines and the communication log of renewal notices."""

from __future__ import annotations

import numpy as np

from . import behaviour as bh
from .population import at_business_time, latest, month_start
from .schemas import COMMLOG_BASE, FORMER, INVOICE_BASE, PARTY_BASE
from .table import obj_full, obj_where

NAT_D = np.datetime64("NaT", "D")
COMMLOG_RETENTION_DAYS = 400  # older log entries are purged, as sites do


class BillingRows:
    """Mixin of the generator's builder (see generator._Builder for the attributes used)."""

    def _subscriptions(self) -> None:
        pop, st, inv = self.pop, self.hist["state"], self.inv_rows
        pidx = st["pidx"]
        asof = self.as_of_d
        # The latest invoice per member (term or join) defines the current subscription row.
        last_inv = np.full(pop.n, -1)
        last_inv[inv["sold_to"]] = inv["row"]  # rows are date-ordered, so the last one wins
        keys, rows = [], {k: [] for k in _SUB_COLS}
        former = np.flatnonzero(pop.cat == FORMER)
        # Old tier rows: a member who changed type in the window keeps an inactive line.
        changed = pidx[st["type_change"] >= 0]
        old_type = st["type_change"][st["type_change"] >= 0]
        change_day = st["type_change_date"][st["type_change"] >= 0]
        for p, ot, cd in zip(changed.tolist(), old_type.tolist(), change_day, strict=True):
            self._sub_row(rows, keys, p, ot, cd - 1, cd - 1, -1, "Inactive", cd, cd)
        for p in former.tolist():
            pt = self.paid_thru[p]
            cancel = month_start(int((pt + 1).astype("datetime64[M]").astype(np.int64)) + 3)
            self._sub_row(rows, keys, p, pop.type_idx[p], pt, pt, -1, "Inactive", cancel, cancel)
        self.sub_index = np.full(pop.n, -1)
        for p in pidx.tolist():
            lapsed = not self.alive[p]
            cancel = self.lapse_date[p] if lapsed else NAT_D
            self.sub_index[p] = len(keys)
            self._sub_row(
                rows,
                keys,
                p,
                self.type_now[p],
                self.renewed_thru[p],
                self.paid_thru[p],
                last_inv[p],
                "Inactive" if lapsed else "Active",
                cancel,
                NAT_D,
            )
        n = len(keys)
        stamps = latest(*(np.array(rows[c], dtype="datetime64[D]") for c in _SUB_STAMP_COLS))
        stamps = np.minimum(stamps, asof)
        self.t["subscriptions"].append(
            key=np.array(keys, dtype=object),
            last_updated=at_business_time(self.rng, stamps),
            updated_by=obj_full(n, "MANAGER"),
            **{c: np.array(v, dtype=_SUB_COLS[c]) for c, v in rows.items()},
        )

    def _sub_row(
        self, rows, keys, p, type_idx, bill_through, paid_thru, inv_row, status, cancel, changed_on
    ) -> None:
        inv, pop = self.inv_rows, self.pop
        item = bh.ITEM_CODES[type_idx]
        join = pop.join[p].astype("datetime64[D]")
        keys.append(f"~{PARTY_BASE + p}|{item}")
        rows["party_id"].append(PARTY_BASE + p)
        rows["item"].append(item)
        rows["status"].append(status)
        rows["begin_date"].append(join)
        rows["continuous_since"].append(join)
        rows["date_added"].append(join if np.isnat(changed_on) else changed_on)
        rows["cancelled_as_of"].append(cancel)
        rows["paid_thru"].append(paid_thru)
        if inv_row >= 0:
            reminded = int(inv["reminded"][inv_row])
            pays = [d for d in (inv["pay1"][inv_row], inv["pay2"][inv_row]) if d <= self.as_of_d]
            rows["bill_begin"].append(inv["term_begin"][inv_row])
            rows["bill_through"].append(inv["term_end"][inv_row])
            rows["bill_date"].append(inv["invoice_date"][inv_row])
            rows["bill_to"].append(PARTY_BASE + inv["bill_to"][inv_row])
            rows["invoice_id"].append(INVOICE_BASE + inv_row)
            rows["billed"].append(inv["amount"][inv_row])
            rows["paid"].append(inv["paid"][inv_row])
            rows["balance"].append(inv["amount"][inv_row] - inv["paid"][inv_row])
            rows["payment_date"].append(max(pays) if pays else NAT_D)
            rows["reminder_count"].append(bin(reminded).count("1"))
            last_bit = reminded.bit_length() - 1
            rows["reminder_date"].append(
                inv["term_begin"][inv_row] + bh.REMINDER_OFFSETS[last_bit] if reminded else NAT_D
            )
        else:
            begin = month_start(int(bill_through.astype("datetime64[M]").astype(np.int64)) - 11)
            rows["bill_begin"].append(begin)
            rows["bill_through"].append(bill_through)
            rows["bill_date"].append(begin - 60)
            rows["bill_to"].append(PARTY_BASE + p)
            rows["invoice_id"].append(0)
            price = int(
                self.prices.cents(type_idx, int(begin.astype("datetime64[Y]").astype(int)) + 1970)
            )
            rows["billed"].append(price)
            rows["paid"].append(price)
            rows["balance"].append(0)
            rows["payment_date"].append(begin - 20)
            rows["reminder_count"].append(0)
            rows["reminder_date"].append(NAT_D)

    # -- communication log ---------------------------------------------------------------
    def _comm_log(self) -> None:
        inv, asof, pop = self.inv_rows, self.as_of_d, self.pop
        since = asof - COMMLOG_RETENTION_DAYS
        parts = []
        notice = inv["invoice_date"]
        keep = (notice >= since) & (notice <= asof)
        renewal = inv["outcome"] != bh.JOIN
        parts.append((np.flatnonzero(keep), notice[keep], np.where(renewal[keep], 0, 4)))
        for bit, offset in enumerate(bh.REMINDER_OFFSETS):
            sent = ((inv["reminded"] >> bit) & 1).astype(bool)
            day = inv["term_begin"] + offset
            keep = sent & (day >= since)
            parts.append((np.flatnonzero(keep), day[keep], np.full(keep.sum(), bit + 1)))
        rows = np.concatenate([p[0] for p in parts])
        days = np.concatenate([p[1] for p in parts]).astype("datetime64[D]")
        kinds = np.concatenate([p[2] for p in parts])
        order = np.lexsort((rows, days))
        rows, days, kinds = rows[order], days[order], kinds[order]
        party = inv["sold_to"][rows]
        email = pop.text["has_email"][party]
        subjects = np.asarray(COMMLOG_SUBJECTS, dtype=object)
        n = len(rows)
        self.t["comm_log"].append(
            log_id=COMMLOG_BASE + np.arange(n),
            party_id=PARTY_BASE + party,
            sent_on=at_business_time(self.rng, days),
            channel=obj_where(email, "Email", "Letter"),
            subject=subjects[kinds],
            template=np.asarray(COMMLOG_TEMPLATES, dtype=object)[kinds],
            status=obj_where(email & (self.rng.random(n) < 0.03), "Bounced", "Sent"),
            sent_by=obj_full(n, "RenewalRun"),
            invoice_id=INVOICE_BASE + rows,
        )

    # -- activities ----------------------------------------------------------------------


_SUB_COLS = {
    "party_id": np.int64,
    "item": object,
    "status": object,
    "begin_date": "datetime64[D]",
    "bill_begin": "datetime64[D]",
    "bill_through": "datetime64[D]",
    "bill_date": "datetime64[D]",
    "paid_thru": "datetime64[D]",
    "continuous_since": "datetime64[D]",
    "date_added": "datetime64[D]",
    "cancelled_as_of": "datetime64[D]",
    "bill_to": np.int64,
    "invoice_id": np.int64,
    "billed": np.int64,
    "paid": np.int64,
    "payment_date": "datetime64[D]",
    "balance": np.int64,
    "reminder_count": np.int64,
    "reminder_date": "datetime64[D]",
}
_SUB_STAMP_COLS = ["bill_date", "payment_date", "reminder_date", "cancelled_as_of", "date_added"]

COMMLOG_SUBJECTS = [
    "Your membership renewal invoice",
    "Reminder: your membership renews soon",
    "Your membership has expired - renew now",
    "Final notice: renew to keep your membership",
    "Welcome to the association",
]
COMMLOG_TEMPLATES = ["RENEWAL_INVOICE", "REMINDER_1", "REMINDER_2", "FINAL_NOTICE", "WELCOME"]
