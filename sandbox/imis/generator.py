"""Build a deterministic synthetic association: ``generate(members, seed, as_of)``."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pandas as pd

from . import behaviour as bh
from . import names as nm
from . import profile_b
from .association import Association, Truth
from .history import reminder_mask, simulate_history
from .population import (
    Population,
    at_business_time,
    draw_population,
    latest,
    month_start,
    seeded_rng,
)
from .profile_b import PROFILES
from .rows_billing import BillingRows
from .rows_engagement import EngagementRows
from .schemas import (
    AUTOPAY_BASE,
    ENGAGEMENT_TYPES,
    FORMER,
    INVOICE_BASE,
    LATENT_KEYS,
    MEMBER,
    ORG_MEMBER,
    PARTY_BASE,
    PAYMENT_BASE,
    new_tables,
)
from .table import obj_full, obj_where

DEFAULT_AS_OF = date(2025, 6, 30)
PAYMENT_WINDOW_DAYS = 120  # Payment rows are kept for recent remittances only
COMMLOG_RETENTION_DAYS = 400
NAT_D = np.datetime64("NaT", "D")
DAY_MS = 86_400_000


def generate(
    members: int = 2000, seed: int = 1, as_of: date = DEFAULT_AS_OF, profile: str = "default"
) -> Association:
    """Generate a synthetic association of ``members`` people (plus ~4 % organisations).

    Deterministic: the same (members, seed, as_of, profile) give byte-identical data. The
    hidden drivers of each member's renewal behaviour are on ``association.truth``.
    ``profile="b"`` is another association (``profile_b``): lapses with other causes, another
    base rate, other item and activity codes, and renewals written off when they lapse.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    as_of_d = np.datetime64(as_of, "D")
    salt = PROFILES[profile].salt  # profile b draws its own population, history and rows
    prices = bh.PriceBookB(seed) if profile == "b" else bh.PriceBook(seed)
    chapter_rng = seeded_rng(seed, members, as_of, 0 + salt)
    n_chapters = int(chapter_rng.integers(15, 26))
    chapters = nm.CHAPTERS[:n_chapters]
    groups = [(f"CHAPTER/{c}", n, "CHAPTER", "Chapter") for c, n, _ in chapters] + [
        (gid, name, "COMMITTEE", "Committee") for gid, name in nm.COMMITTEES
    ]
    pop = draw_population(
        seeded_rng(seed, members, as_of, 1 + salt), members, as_of_d, chapters, profile=profile
    )
    hist = simulate_history(
        seeded_rng(seed, members, as_of, 2 + salt), pop, prices, as_of_d, profile=profile
    )
    tables = new_tables()
    now = as_of_d.astype("datetime64[ms]") + np.timedelta64(17 * 3_600_000, "ms")
    b = _Builder(seed, members, as_of, as_of_d, pop, hist, prices, tables)
    b.profile = profile
    b.run(chapters, groups)
    truth = b.truth()
    if profile == "b":
        profile_b.finish(b, seeded_rng(seed, members, as_of, 3 + salt))
        profile_b.marry(b, seeded_rng(seed, members, as_of, 4 + salt))
        profile_b.add_truth(truth, hist)
    assoc = Association(
        members=members,
        seed=seed,
        as_of=as_of,
        tables=tables,
        truth=truth,
        prices=prices,
        chapters=chapters,
        groups=groups,
        now=now,
    )
    assoc.profile = profile
    return assoc


class _Builder(BillingRows, EngagementRows):
    """Turns the drawn population and simulated history into table rows."""

    def __init__(self, seed, members, as_of, as_of_d, pop: Population, hist, prices, tables):
        self.seed, self.members, self.as_of, self.as_of_d = seed, members, as_of, as_of_d
        self.pop, self.hist, self.prices, self.t = pop, hist, prices, tables
        self.rng = seeded_rng(seed, members, as_of, 9)
        n = pop.n
        st = hist["state"]
        pidx = st["pidx"]
        # Per-party copies of the history's member arrays (non-renewing parties keep defaults).
        self.alive = np.zeros(n, dtype=bool)
        self.alive[pidx] = st["alive"]
        self.type_now = pop.type_idx.copy()
        self.type_now[pidx] = st["type"]
        self.paid_thru = pop.former_paid_thru.astype("datetime64[D]").copy()
        self.paid_thru[pidx] = st["paid_thru"]
        self.renewed_thru = self.paid_thru.copy()
        self.renewed_thru[pidx] = st["renewed_thru"]
        self.lapse_date = np.full(n, NAT_D)
        self.lapse_date[pidx] = st["lapse_date"]
        former = pop.cat == FORMER
        self.lapse_date[former] = month_start(
            (self.paid_thru[former] + 1).astype("datetime64[M]").astype(np.int64) + 3
        )
        self.employer = pop.employer.copy()
        self.employer[pidx] = st["employer"]
        self.org_paid = pop.org_paid.copy()
        self.org_paid[pidx] = st["org_paid"]
        self.member_until = np.where(self.lapse_date <= as_of_d, self.lapse_date, NAT_D)
        self.touched: list[tuple[np.ndarray, np.ndarray]] = []  # (party rows, dates) changes
        self.sub_touched: dict[int, list] = {}

    # -- orchestration -------------------------------------------------------------------
    def run(self, chapters, groups) -> None:
        self.inv_rows = self._invoices()
        self._payments_and_dues()
        self._subscriptions()
        self._comm_log()
        self._activities()
        self._events(chapters)
        self._groups(chapters, groups)
        self._items()
        self._parties()
        self._state()

    # -- invoices ------------------------------------------------------------------------
    def _invoices(self) -> dict:
        j, tm = self.hist["joins"], self.hist["terms"]
        nj, nt = len(j["party"]), len(tm["party"])
        term_begin = np.concatenate([j["term_begin"], tm["renewal_date"]])
        term_m = term_begin.astype("datetime64[M]").astype(np.int64)
        inv = {
            "invoice_date": np.concatenate([j["invoice_date"], tm["invoice_date"]]),
            "due_date": np.concatenate([j["term_begin"], tm["renewal_date"] - 1]),
            "purpose": np.array(["MembershipJoin"] * nj + ["MembershipRenewal"] * nt, dtype=object),
            "sold_to": np.concatenate([j["party"], tm["party"]]),
            "bill_to": np.concatenate([j["party"], tm["bill_to"]]),
            "type": np.concatenate([j["type"], tm["type"]]),
            "amount": np.concatenate([j["amount"], tm["amount"]]),
            "term_begin": term_begin,
            "term_end": month_start(term_m + 12) - 1,
            "pay1": np.concatenate([j["pay_date"], tm["pay1"]]),
            "amt1": np.concatenate([j["amount"], tm["amt1"]]),
            "pay2": np.concatenate([np.full(nj, NAT_D), tm["pay2"]]),
            "amt2": np.concatenate([np.zeros(nj, dtype=np.int64), tm["amt2"]]),
            "lapse": np.concatenate([np.full(nj, NAT_D), tm["lapse"]]),
            "full": np.concatenate([j["pay_date"], tm["full_paid"]]),
            "outcome": np.concatenate([np.full(nj, bh.JOIN), tm["outcome"]]),
            "term": np.concatenate([np.full(nj, -1), np.arange(nt)]),
        }
        order = np.lexsort((inv["sold_to"], inv["invoice_date"]))
        inv = {k: v[order] for k, v in inv.items()}
        n = len(order)
        asof = self.as_of_d
        paid = np.where(inv["pay1"] <= asof, inv["amt1"], 0) + np.where(
            inv["pay2"] <= asof, inv["amt2"], 0
        )
        reminded = reminder_mask(
            inv["term_begin"], inv["invoice_date"], inv["full"], inv["lapse"], asof
        )
        reminded[inv["outcome"] == bh.JOIN] = 0
        type_names = np.asarray(bh.TYPE_NAMES, dtype=object)[inv["type"]]
        years = inv["term_begin"].astype("datetime64[Y]").astype(int) + 1970
        desc = [
            f"{'New membership' if p == 'MembershipJoin' else 'Membership renewal'} "
            f"{y}-{y + 1}, {tn}"
            for p, y, tn in zip(inv["purpose"], years.tolist(), type_names, strict=True)
        ]
        ids = INVOICE_BASE + np.arange(n)
        self.t["invoices"].append(
            invoice_id=ids,
            invoice_date=inv["invoice_date"],
            due_date=inv["due_date"],
            purpose=inv["purpose"],
            bill_to=PARTY_BASE + inv["bill_to"],
            sold_to=PARTY_BASE + inv["sold_to"],
            amount=inv["amount"],
            paid=paid,
            balance=inv["amount"] - paid,
            description=np.array(desc, dtype=object),
            item=np.asarray([*bh.ITEM_CODES, ""], dtype=object)[inv["type"]],
            term_begin=inv["term_begin"],
            term_end=inv["term_end"],
            s_pay1=inv["pay1"],
            s_amt1=inv["amt1"],
            s_pay2=inv["pay2"],
            s_amt2=inv["amt2"],
            s_lapse=inv["lapse"],
            s_outcome=inv["outcome"],
            s_reminded=reminded,
            s_term=inv["term"],
        )
        inv["row"] = np.arange(n)
        inv["paid"] = paid
        inv["reminded"] = reminded
        self.term_invoice = np.full(len(self.hist["terms"]["party"]), -1)
        is_term = inv["term"] >= 0
        self.term_invoice[inv["term"][is_term]] = inv["row"][is_term]
        # Billing a renewal moves RenewedThruDate on the party record.
        billed = inv["outcome"] != bh.JOIN
        self.touched.append((inv["sold_to"][billed], inv["invoice_date"][billed]))
        return inv

    def _payments_and_dues(self) -> None:
        inv, asof = self.inv_rows, self.as_of_d
        rows = []
        for date_key, amt_key in (("pay1", "amt1"), ("pay2", "amt2")):
            done = inv[date_key] <= asof
            rows.append((np.flatnonzero(done), inv[date_key][done], inv[amt_key][done]))
        inv_row = np.concatenate([r[0] for r in rows])
        pay_date = np.concatenate([r[1] for r in rows]).astype("datetime64[D]")
        amount = np.concatenate([r[2] for r in rows])
        order = np.lexsort((inv_row, pay_date))
        inv_row, pay_date, amount = inv_row[order], pay_date[order], amount[order]
        self.dues = {
            "party": inv["sold_to"][inv_row],
            "date": pay_date,
            "amount": amount,
            "type": inv["type"][inv_row],
            "begin": inv["term_begin"][inv_row],
            "end": inv["term_end"][inv_row],
        }
        # A payment that completes the term advances PaidThruDate on the party record.
        self.touched.append((inv["sold_to"][inv_row], pay_date))
        recent = pay_date >= asof - PAYMENT_WINDOW_DAYS
        r_inv, r_date, r_amt = inv_row[recent], pay_date[recent], amount[recent]
        n = len(r_inv)
        methods = np.array(["VISA", "MC", "AMEX", "CHECK", "ACH"], dtype=object)
        method = methods[self.rng.choice(5, n, p=[0.4, 0.2, 0.1, 0.2, 0.1])]
        payor = inv["bill_to"][r_inv]
        ref = [
            f"CHK{self.rng.integers(1000, 99999)}" if m == "CHECK" else "" for m in method.tolist()
        ]
        self.t["payments"].append(
            payment_id=PAYMENT_BASE + np.arange(n),
            party_id=PARTY_BASE + payor,
            amount=r_amt,
            payment_date=r_date,
            method=method,
            reference=np.array(ref, dtype=object),
            message=np.array(["Membership dues"] * n, dtype=object),
            invoice_ids=np.array([str(INVOICE_BASE + i) for i in r_inv.tolist()], dtype=object),
            created_on=at_business_time(self.rng, r_date),
        )

    # -- subscriptions -------------------------------------------------------------------
    def _parties(self) -> None:
        pop, rng, asof = self.pop, self.rng, self.as_of_d
        n, text = pop.n, pop.text
        cat = pop.cat
        status = obj_full(n, "A")
        status[(cat == FORMER) | ((cat == MEMBER) & ~self.alive)] = "I"
        status[(cat == ORG_MEMBER) & ~self.alive] = "I"
        status[(cat == FORMER) & (rng.random(n) < 0.2)] = "D"
        status[(status == "A") & (cat == MEMBER) & (rng.random(n) < 0.005)] = "S"
        ctype = np.asarray(bh.TYPE_CODES, dtype=object)[self.type_now]
        is_member = self.type_now != bh.NM
        inactive = is_member & (status != "A")
        join = pop.join.astype("datetime64[D]")
        created = np.where(
            np.isnat(join), asof - rng.integers(30, 4000, n), join - rng.integers(0, 20, n)
        )
        # Profile edits (address, phone) now and then, so stamps are not only money events.
        edit = created + (rng.random(n) * (asof - created).astype(np.int64)).astype(np.int64)
        edit = np.where(rng.random(n) < 0.3, edit, NAT_D)
        drops_party, drops_date, _orgs, _paid = self.hist["drops"]
        lapse_seen = np.where(self.lapse_date <= asof, self.lapse_date, NAT_D)
        last_change = latest(created, edit, lapse_seen)
        for party_rows, dates in [*self.touched, (drops_party, drops_date)]:
            ok = dates <= asof
            np.maximum.at(last_change, party_rows[ok], dates[ok].astype("datetime64[D]"))
        updated = at_business_time(rng, last_change)
        created_ms = at_business_time(rng, created)
        updated = np.maximum(updated, created_ms)
        birth = np.where(
            (rng.random(n) < 0.6) & (np.arange(n) >= pop.n_org),
            (pop.birth_year.astype(str).astype(object) + "-01-01").astype("datetime64[D]")
            + rng.integers(0, 365, n),
            NAT_D,
        )
        employer = np.where(self.employer >= 0, PARTY_BASE + self.employer, 0)
        title = np.where(self.employer >= 0, np.asarray(text["title"], dtype=object), "")
        self.t["parties"].append(
            party_id=PARTY_BASE + np.arange(n),
            is_org=np.arange(n) < pop.n_org,
            uniform_id=np.array(_uuids(rng, n), dtype=object),
            prefix=np.array(text["prefix"], dtype=object),
            first=np.array(text["first"], dtype=object),
            middle=np.array(text["middle"], dtype=object),
            last=np.array(text["last"], dtype=object),
            suffix=np.array(text["suffix"], dtype=object),
            informal=np.array(text["informal"], dtype=object),
            org_name=np.array(text["org_name"], dtype=object),
            title=title,
            primary_org=employer,
            email=np.array(text["email"], dtype=object),
            phone=np.array(text["phone"], dtype=object),
            phone_type=np.array(text["phone_type"], dtype=object),
            street=np.array(text["street"], dtype=object),
            city=np.array(text["city"], dtype=object),
            region=pop.region,
            postal=np.array(text["postal"], dtype=object),
            status=status,
            ctype=ctype,
            is_member=is_member,
            inactive_member=inactive,
            join_date=join,
            paid_thru=np.where(is_member, self.paid_thru, NAT_D),
            renewed_thru=np.where(is_member, self.renewed_thru, NAT_D),
            chapter=pop.chapter,
            birth_date=birth,
            created_on=created_ms,
            created_by=obj_full(n, "MANAGER"),
            updated_on=updated,
            updated_by=obj_where(rng.random(n) < 0.5, "MANAGER", "RenewalRun"),
            autopay_id=self._autopay_ids(n),
        )

    def _autopay_ids(self, n: int) -> np.ndarray:
        """About a quarter of individuals keep a card on auto-pay, more often the disciplined
        payers (a hidden link the late-payment model may find). Drawn from a stream of its own,
        so the rest of the association is the same with or without it."""
        pop = self.pop
        rng = seeded_rng(self.seed, self.members, self.as_of, 17)
        odds = bh.sigmoid(-1.5 + 1.1 * pop.latent["payment_discipline"][:n])
        on = (np.arange(n) >= pop.n_org) & (rng.random(n) < odds)
        ids = (AUTOPAY_BASE + np.arange(n)).astype(str).astype(object)
        return np.where(on, ids, "").astype(object)

    def _state(self) -> None:
        pop, st = self.pop, self.hist["state"]
        n, pidx = pop.n, st["pidx"]
        inv = self.inv_rows
        open_inv = np.full(n, -1)
        open_rows = np.flatnonzero((inv["amount"] - inv["paid"] > 0) & (inv["outcome"] != bh.JOIN))
        still_open = np.isnat(inv["lapse"][open_rows]) | (inv["lapse"][open_rows] > self.as_of_d)
        open_rows = open_rows[still_open]
        open_inv[inv["sold_to"][open_rows]] = open_rows

        drop_date = np.full(n, NAT_D)
        drop_weight = np.zeros(n)
        d_party, d_date, _org, d_paid = self.hist["drops"]
        order = np.argsort(d_date, kind="stable")  # later drops overwrite earlier ones
        drop_date[d_party[order]] = d_date[order]
        drop_weight[d_party[order]] = np.where(d_paid[order], 1.0, 0.3)

        def per_party(values, fill, dtype=None):
            out = np.full(n, fill, dtype=dtype)
            out[pidx] = values
            return out

        self.t["state"].append(
            type=self.type_now,
            cat=pop.cat,
            alive=self.alive,
            join=pop.join.astype("datetime64[D]"),
            next_renewal=per_party(st["next_renewal"], NAT_D, "datetime64[D]"),
            sub=self.sub_index,
            open_inv=open_inv,
            past_late=per_party(st["past_late"], 0),
            past_partial=per_party(st["past_partial"], 0),
            last_price=per_party(st["last_price"], 0),
            employer=self.employer,
            org_paid=self.org_paid,
            grad_year=pop.grad_year,
            early_since=per_party(st["early_since"], 0),
            birth_year=pop.birth_year,
            committee=pop.committee,
            has_email=pop.text["has_email"],
            lapse_date=self.lapse_date,
            drop_date=drop_date,
            drop_weight=drop_weight,
            **{k: pop.latent[k] for k in LATENT_KEYS},
            **{f"act_{i}": self.act_rows[:, i] for i in range(len(ENGAGEMENT_TYPES))},
        )

    # -- truth ---------------------------------------------------------------------------
    def truth(self) -> Truth:
        pop = self.pop
        members = pd.DataFrame(
            {
                "PartyId": (PARTY_BASE + np.arange(pop.n)).astype(str),
                "category": np.asarray(["member", "former", "nonmember", "org", "corp_member"])[
                    pop.cat
                ],
                "member_type_at_entry": np.asarray(bh.TYPE_CODES)[pop.type_idx],
                "engagement_base": pop.latent["e0"],
                "engagement_slope": pop.latent["slope"],
                "engagement_shock_onset_years": pop.latent["shock_onset"],
                "engagement_shock": pop.latent["shock_size"],
                "engagement_now": bh.engagement(pop.latent, np.arange(pop.n), 0.0),
                "price_sensitivity": pop.latent["price_sensitivity"],
                "payment_discipline": pop.latent["payment_discipline"],
                "org_paid_at_entry": pop.org_paid,
                "employer_stability": np.where(
                    pop.employer >= 0, pop.stability[np.maximum(pop.employer, 0)], np.nan
                ),
                "graduation_year": np.where(pop.grad_year > 0, pop.grad_year, 0),
                "committee": pop.committee,
            }
        ).set_index("PartyId")
        tm = self.hist["terms"]
        terms = pd.DataFrame(
            {
                "PartyId": (PARTY_BASE + tm["party"]).astype(str),
                "cycle": tm["cycle"],
                "renewal_date": tm["renewal_date"],
                "invoice_id": (INVOICE_BASE + self.term_invoice).astype(str),
                "member_type": np.asarray(bh.TYPE_CODES)[tm["type"]],
                "amount": tm["amount"] / 100,
                "price_change": tm["price_change"],
                "billed_to_org": tm["bill_to"] != tm["party"],
                "dropped_employer": tm["x_dropped_employer"],
                "engagement": tm["x_engagement"],
                "engagement_trend": tm["x_trend"],
                "past_late": tm["x_past_late"],
                "past_partial": tm["x_past_partial"],
                "first_renewal": tm["x_first_renewal"] > 0,
                "tenure_years": tm["x_tenure"],
                "p_lapse": tm["p_lapse"],
                "outcome": np.asarray(bh.OUTCOMES)[tm["outcome"]],
                "lapsed": np.isin(tm["outcome"], [bh.PARTIAL, bh.LAPSED]),
                "first_payment": tm["pay1"],
                "paid_in_full": tm["full_paid"],
                "lapse_date": tm["lapse"],
                "closed": month_start(
                    tm["renewal_date"].astype("datetime64[M]").astype(np.int64) + bh.GRACE_MONTHS
                )
                <= self.as_of_d,
            }
        )
        drops_party, drops_date, drops_org, _paid = self.hist["drops"]
        drops = pd.DataFrame(
            {
                "PartyId": (PARTY_BASE + drops_party).astype(str),
                "date": drops_date,
                "OrganizationPartyId": (PARTY_BASE + drops_org).astype(str),
            }
        )
        dups = [(str(PARTY_BASE + a), str(PARTY_BASE + b)) for a, b in pop.duplicates]
        return Truth(members=members, terms=terms, duplicates=dups, employer_drops=drops)


def _uuids(rng, n: int) -> list[str]:
    raw = rng.integers(0, 2**63 - 1, size=(n, 2), dtype=np.int64)
    return [str(uuid.UUID(int=(int(a) << 64 | int(b)), version=4)) for a, b in raw.tolist()]
