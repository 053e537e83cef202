"""Profile b: a second association, drawn independently of the default one.

Its lapses have other causes, in other shapes and strengths (``behaviour.renewal_outcomes_b``):
card declines in the year before and late payment, a change of employer or of member type, a
fall in engagement against the member's own past (not a low level), the first renewals and dues
raises; organisation members lapse when the employees they sponsor leave. Its base rate is
higher, its dues other, and it looks different to a client: other activity codes and dues item
codes (sites choose them; CONTRACT.md), card declines logged as ``PAYFAIL`` activity, and a
renewal that lapses is cancelled in iMIS's way - ``AdjustmentAmount`` minus what was unpaid and
a note on the invoice (written off, when part was paid).

Some of its members are on file under a married name, the former surname kept in a custom
party attribute (``FORMER_NAME_ATTRIBUTE``: iMIS has no standard field for it).

``generate(..., profile="b")`` draws it; ``finish`` and ``marry`` add what the builder does not
know of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import behaviour as bh
from . import names as nm
from .population import at_business_time
from .schemas import ACTIVITY_BASE, PARTY_BASE


@dataclass(frozen=True)
class Profile:
    name: str
    salt: int  # added to the parts of every seeded stream: another population and history
    # Codes as this site serves them (internal code -> served code); the default serves its own.
    activity_codes: dict[str, str] = field(default_factory=dict)
    item_codes: dict[str, str] = field(default_factory=dict)


PROFILES = {
    "default": Profile("default", 0),
    "b": Profile(
        "b",
        1000,
        activity_codes={
            "WEBLOGIN": "PORTAL_LOGIN",
            "EMAIL_OPEN": "ENEWS_OPEN",
            "EMAIL_CLICK": "ENEWS_CLICK",
            "COMMUNITY": "FORUM_POST",
            "DOWNLOAD": "LIBRARY_DL",
            "DUES": "SUBPAY",
        },
        item_codes={code: code.replace("DUES-", "MBR-") for code in bh.ITEM_CODES},
    ),
}
PAYMENT_FAILURE = "PAYFAIL"  # the activity a declined card payment leaves (served as is)
CANCELLED_NOTE = "Cancelled - member did not renew"
FORMER_NAME_ATTRIBUTE = "FormerLastName"  # the custom party attribute of former surnames
MARRIED_SHARE = 0.10  # persons on file under a married name, the former one kept
WRITTEN_OFF_NOTE = "Balance written off - member did not renew"


def profile_of(assoc) -> Profile:
    return PROFILES[getattr(assoc, "profile", "default")]


def served_codes(assoc) -> dict[str, dict[str, str]]:
    """Column -> {internal code: served code} for the activity rows of this site."""
    p = profile_of(assoc)
    if not p.activity_codes:
        return {}
    return {"type": p.activity_codes, "product_code": p.item_codes}


def served_item(assoc, code: str) -> str:
    return profile_of(assoc).item_codes.get(code, code)


def finish(builder, rng: np.random.Generator) -> None:
    """Write off the lapsed renewals and log the card declines (rows the builder made)."""
    _write_off(builder)
    _declines(builder, rng)


def marry(builder, rng: np.random.Generator) -> None:
    """A share of the persons are on file under a married name, the surname they had before
    kept as the former one (their e-mail addresses still carry it). A stream of its own: the
    rest of the association is the same with or without it."""
    parties = builder.t["parties"]
    persons = np.flatnonzero(~parties.col("is_org") & (parties.col("last") != ""))
    rows = persons[rng.random(len(persons)) < MARRIED_SHARE]
    if not len(rows):
        return
    former = parties.col("last")[rows].copy()
    pool = np.asarray(nm.LAST_NAMES[:60], dtype=object)
    pick = rng.integers(0, len(pool), len(rows))
    pick = np.where(pool[pick] == former, (pick + 1) % len(pool), pick)  # another surname
    married = pool[pick]
    parties.set(rows, last=married, former_last=former)


def _write_off(builder) -> None:
    """Every renewal that lapsed by the site's date: credited down to what was paid, with a
    note (cancelled when nothing was paid, written off when part was)."""
    inv = builder.t["invoices"]
    lapse = inv.col("s_lapse").astype("datetime64[D]")
    ended = np.isin(inv.col("s_outcome"), [bh.PARTIAL, bh.LAPSED]) & (lapse <= builder.as_of_d)
    rows = np.flatnonzero(ended)
    if not len(rows):
        return
    paid = inv.col("paid")[rows]
    unpaid = inv.col("amount")[rows] - paid
    notes = np.where(paid > 0, WRITTEN_OFF_NOTE, CANCELLED_NOTE).astype(object)
    inv.set(rows, adjustment=-unpaid, balance=np.zeros(len(rows), dtype=np.int64), note=notes)
    subs = builder.t["subscriptions"]
    credited = set((inv.col("invoice_id")[rows]).tolist())
    lines = [r for r, i in enumerate(subs.col("invoice_id").tolist()) if i in credited]
    if lines:
        subs.set(lines, balance=np.zeros(len(lines), dtype=np.int64))


def _declines(builder, rng: np.random.Generator) -> None:
    """One PAYFAIL activity per card decline, in the year before the term is billed (a
    declined instalment, event fee or auto-pay: what a renewal team sees at billing)."""
    terms = builder.hist["terms"]
    count = terms["x_declines"].astype(np.int64)
    party = np.repeat(terms["party"], count)
    due = np.repeat(terms["renewal_date"], count).astype("datetime64[D]")
    mtype = np.repeat(terms["type"], count)
    day = due - rng.integers(65, 330, len(due))
    keep = day <= builder.as_of_d
    party, day, mtype = party[keep], day[keep], mtype[keep]
    order = np.lexsort((party, day))
    party, day, mtype = party[order], day[order], mtype[order]
    acts = builder.t["activities"]
    n = len(party)
    stamps = at_business_time(rng, day)
    acts.append(
        seqn=ACTIVITY_BASE + acts.n + np.arange(n),
        party_id=PARTY_BASE + party,
        type=np.full(n, PAYMENT_FAILURE, dtype=object),
        tx_date=stamps,
        eff_date=stamps,
        thru_date=stamps,
        product_code=np.asarray(bh.ITEM_CODES, dtype=object)[np.minimum(mtype, 5)],
        units=np.ones(n),
        description=np.full(n, "Card payment declined", dtype=object),
        source_code=np.full(n, "AUTOPAY", dtype=object),
        member_type=np.asarray(bh.TYPE_CODES, dtype=object)[mtype],
    )


def add_truth(truth, hist: dict) -> None:
    """The drivers of profile b beside each term of the truth (same row order)."""
    terms = hist["terms"]
    extra = pd.DataFrame(
        {
            "engagement_fall": terms["x_fall"],
            "card_declines": terms["x_declines"],
            "member_type_changed": terms["x_tier_changed"] > 0,
            "sponsored_lost_share": terms["x_sponsor_loss"],
            "sponsored_log": terms["x_sponsored"],
        }
    )
    truth.terms = pd.concat([truth.terms.reset_index(drop=True), extra], axis=1)
