"""Generated engagement rows: aggregated activity, events, registrations, groups, items."""

from __future__ import annotations

import numpy as np

from . import behaviour as bh
from .engagement import (
    description,
    engagement_history,
    events_history,
    groups_history,
    half_year,
)
from .population import at_business_time, seeded_rng
from .schemas import ACTIVITY_BASE, ENGAGEMENT_TYPES, PARTY_BASE
from .table import obj_full

NAT_D = np.datetime64("NaT", "D")


class EngagementRows:
    """Mixin of the generator's builder (see generator._Builder for the attributes used)."""

    def _activities(self) -> None:
        pop = self.pop
        member_from = pop.join.astype("datetime64[D]")
        eng = engagement_history(
            seeded_rng(self.seed, self.members, self.as_of, 3),
            pop,
            member_from,
            self.member_until,
            self.as_of_d,
            # Profile b's site keeps five years of activity; the default's two and a half.
            periods=bh.ACTIVITY_PERIODS_B if getattr(self, "profile", "default") == "b" else 5,
        )
        d = self.dues
        nd, ne = len(d["party"]), len(eng["party"])
        codes = np.asarray([*bh.ITEM_CODES, ""], dtype=object)
        type_codes = np.asarray(bh.TYPE_CODES, dtype=object)
        eng_desc = np.array(
            [description(k, h) for k, h in zip(eng["type"], eng["h"].tolist(), strict=True)],
            dtype=object,
        )
        src = {"WEBLOGIN": "WEB", "EMAIL_OPEN": "EMAIL", "EMAIL_CLICK": "EMAIL"}
        cols = {
            "party": np.concatenate([d["party"], eng["party"]]),
            "type": np.concatenate([obj_full(nd, "DUES"), eng["type"]]),
            "tx": np.concatenate([d["date"], eng["tx"]]).astype("datetime64[D]"),
            "eff": np.concatenate([d["begin"], eng["eff"]]).astype("datetime64[D]"),
            "thru": np.concatenate([d["end"], eng["thru"]]).astype("datetime64[D]"),
            "product": np.concatenate([codes[d["type"]], obj_full(ne, "")]),
            "amount": np.concatenate([d["amount"], np.zeros(ne, dtype=np.int64)]),
            "units": np.concatenate([np.ones(nd), eng["units"]]),
            "desc": np.concatenate([obj_full(nd, "Membership dues payment"), eng_desc]),
            "source": np.concatenate(
                [
                    obj_full(nd, "DUES"),
                    np.array([src.get(k, k) for k in eng["type"]], dtype=object),
                ]
            ),
            "mtype": np.concatenate(
                [type_codes[d["type"]], type_codes[self.type_now[eng["party"]]]]
            ),
            "h": np.concatenate([np.full(nd, -1), eng["h"]]),
        }
        order = np.lexsort((cols["party"], cols["tx"]))
        cols = {k: v[order] for k, v in cols.items()}
        n = len(order)
        self.t["activities"].append(
            seqn=ACTIVITY_BASE + np.arange(n),
            party_id=PARTY_BASE + cols["party"],
            type=cols["type"],
            tx_date=cols["tx"],
            eff_date=cols["eff"],
            thru_date=cols["thru"],
            product_code=cols["product"],
            amount=cols["amount"],
            units=cols["units"],
            description=cols["desc"],
            source_code=cols["source"],
            member_type=cols["mtype"],
        )
        # Rows of the open half-year, which advance() keeps counting into.
        self.act_rows = np.full((pop.n, len(ENGAGEMENT_TYPES)), -1)
        h_now = int(half_year(self.as_of_d))
        cur = np.flatnonzero(cols["h"] == h_now)
        kind = np.array([ENGAGEMENT_TYPES.index(k) for k in cols["type"][cur]], dtype=np.int64)
        self.act_rows[cols["party"][cur], kind] = cur

    # -- events and groups ---------------------------------------------------------------
    def _events(self, chapters) -> None:
        pop = self.pop
        ev, reg = events_history(
            seeded_rng(self.seed, self.members, self.as_of, 4),
            pop,
            chapters,
            pop.join.astype("datetime64[D]"),
            self.member_until,
            self.as_of_d,
            self.members,
        )
        ne = len(ev["event_id"])
        self.t["events"].append(
            event_id=np.array(ev["event_id"], dtype=object),
            name=np.array(ev["name"], dtype=object),
            start=ev["start"] + np.timedelta64(9, "h"),
            end=ev["end"] + np.timedelta64(17, "h"),
            status=obj_full(ne, "A"),
            location=np.array(ev["location"], dtype=object),
            capacity=np.array(ev["capacity"]),
            category=np.array(ev["category"], dtype=object),
            chapter=np.array(ev["chapter"], dtype=object),
            price=np.array(ev["price"]),
        )
        order = np.lexsort((reg["party"], reg["reg_date"]))
        reg = {k: v[order] for k, v in reg.items()}
        event_ids = np.array(ev["event_id"], dtype=object)
        ids = [
            f"{event_ids[e]}-{PARTY_BASE + p}"
            for e, p in zip(reg["event"].tolist(), reg["party"].tolist(), strict=True)
        ]
        self.t["registrations"].append(
            reg_id=np.array(ids, dtype=object),
            event=reg["event"],
            party_id=PARTY_BASE + reg["party"],
            reg_date=at_business_time(self.rng, reg["reg_date"]),
            status=reg["status"],
            attended=reg["attended"],
            price=np.array(ev["price"])[reg["event"]],
        )

    def _groups(self, chapters, groups) -> None:
        gm, rel = groups_history(
            seeded_rng(self.seed, self.members, self.as_of, 5),
            self.pop,
            chapters,
            groups,
            self.alive,
            self.as_of_d,
        )
        group_ids = [g[0] for g in groups]
        ids = [
            f"{group_ids[g]}:{PARTY_BASE + p}"
            for g, p in zip(gm["group"].tolist(), gm["party"].tolist(), strict=True)
        ]
        is_committee = np.array([groups[g][2] == "COMMITTEE" for g in gm["group"].tolist()])
        effective = gm["join"]
        expiration = np.where(is_committee, effective + 730, NAT_D)
        self.t["group_members"].append(
            gm_id=np.array(ids, dtype=object),
            group=gm["group"],
            party_id=PARTY_BASE + gm["party"],
            join_date=gm["join"],
            is_active=gm["active"],
            role=gm["role"],
            effective=effective,
            expiration=expiration,
        )
        self.t["relationships"].append(
            party_id=PARTY_BASE + rel["party"],
            staff=np.array(rel["staff"], dtype=object),
            role=np.array(rel["role"], dtype=object),
        )

    def _items(self) -> None:
        year = int(self.as_of_d.astype("datetime64[Y]").astype(int)) + 1970
        types = np.arange(6)
        # Dues change on January 1: the price book's next-year price is the future price.
        self.t["items"].append(
            item_id=np.asarray(bh.ITEM_CODES, dtype=object),
            name=np.array([f"{bh.TYPE_NAMES[i]} Dues" for i in types], dtype=object),
            type_idx=types,
            price=self.prices.cents(types, np.full(6, year)),
            updated_on=np.full(6, np.datetime64(f"{year}-01-01T06:00:00", "ms")),
            item_class="DUES",
            member_type=np.asarray(bh.TYPE_CODES[:6], dtype=object),
            has_price=True,
            price_since=np.datetime64(f"{year}-01-01", "ms"),
            prev_price=self.prices.cents(types, np.full(6, year - 1)),
            prev_since=np.datetime64(f"{year - 1}-01-01", "ms"),
            future_price=self.prices.cents(types, np.full(6, year + 1)),
            future_date=np.datetime64(f"{year + 1}-01-01", "ms"),
        )

    # -- parties -------------------------------------------------------------------------
