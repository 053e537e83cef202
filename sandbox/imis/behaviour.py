"""Hidden member behaviour: latent factors, dues prices and the renewal-outcome model.

The generator and ``Association.advance`` both draw outcomes here, so history and the future
follow one set of rules. Nothing in this module is served over HTTP; it is the ground truth
that tests and benchmarks compare the product's predictions against.
"""

from __future__ import annotations

import numpy as np

# Customer types, indexed by a small int in the numpy state. NM (non-member) is not a member
# type: IsMember is false for it and it is never billed.
TYPE_CODES = ["REG", "STU", "RET", "EARLY", "CORP", "AFF", "NM"]
TYPE_NAMES = [
    "Regular Member",
    "Student Member",
    "Retired Member",
    "Early-Career Member",
    "Corporate Member",
    "Affiliate Member",
    "Non-member",
]
REG, STU, RET, EARLY, CORP, AFF, NM = range(7)
# Dues in the anchor year (dollars) and the usual yearly increase of each tier.
_BASE_PRICE = [325, 60, 120, 175, 1500, 95, 0]
_ANCHOR_YEAR = 2025
# Which dues items exist: one per member type, ItemCode "DUES-<TYPE>".
ITEM_CODES = [f"DUES-{c}" for c in TYPE_CODES[:6]]

OUTCOMES = ["on_time", "late", "partial", "lapsed"]
ON_TIME, LATE, PARTIAL, LAPSED = range(4)
JOIN = -1  # outcome code of a join invoice (always paid at join)

GRACE_MONTHS = 3  # lapse is processed on the 1st of the month, three months after term start
BILL_LEAD_MONTHS = 2  # renewal run bills two months before the term starts
REMINDER_OFFSETS = (-30, 15, 60)  # days relative to term start, sent while a balance is open


class PriceBook:
    """Dues per member type and calendar year, with seeded yearly increases.

    Increases are lumpy (most years flat or a few percent, sometimes a board-approved jump),
    because a dues rise for the next term is one of the causes of lapse.
    """

    FIRST_YEAR = 1960
    LAST_YEAR = 2100

    def __init__(self, seed: int):
        rng = np.random.default_rng([seed, 424242])
        years = self.LAST_YEAR - self.FIRST_YEAR + 1
        steps = np.array([0.0, 0.0, 0.03, 0.04, 0.05, 0.08, 0.12])
        weights = np.array([0.30, 0.12, 0.18, 0.15, 0.12, 0.08, 0.05])
        pct = steps[rng.choice(len(steps), size=(6, years), p=weights)]
        pct[STU] = np.where(rng.random(years) < 0.8, 0.0, 0.05)  # student dues barely move
        anchor = _ANCHOR_YEAR - self.FIRST_YEAR
        growth = np.cumprod(1 + pct, axis=1)
        growth = growth / growth[:, [anchor]]
        dollars = np.array(_BASE_PRICE[:6], dtype=float)[:, None] * growth
        cents = (np.round(dollars / 5) * 5 * 100).astype(np.int64)
        self._cents = np.vstack([cents, np.zeros((1, years), dtype=np.int64)])

    def cents(self, type_idx, year) -> np.ndarray:
        """Dues in cents for arrays of member-type indices and calendar years."""
        year = np.clip(np.asarray(year) - self.FIRST_YEAR, 0, self.LAST_YEAR - self.FIRST_YEAR)
        return self._cents[np.asarray(type_idx), year]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def engagement(latent: dict[str, np.ndarray], idx: np.ndarray, t_years) -> np.ndarray:
    """Latent engagement of members ``idx`` at time ``t_years`` (years relative to as_of).

    A personal level plus a slow drift plus, for some members, a shock that ramps in over six
    months: the falling ones are the members whose trend, not level, predicts their lapse.
    """
    t = np.asarray(t_years, dtype=float)
    ramp = np.clip((t - latent["shock_onset"][idx]) / 0.5, 0.0, 1.0)
    return (latent["e0"][idx] + latent["slope"][idx] * t + latent["shock_size"][idx] * ramp).astype(
        float
    )


def draw_latent(
    rng: np.random.Generator, n: int, type_idx: np.ndarray, profile: str = "default"
) -> dict[str, np.ndarray]:
    """Per-party hidden factors (organisations get them too; CORP members renew like people).
    In profile b more members' engagement falls, and further (``SHOCKS_B``)."""
    shock_kind = rng.random(n)
    falls, rises, fall_size = (0.18, 0.24, (0.8, 1.8)) if profile != "b" else SHOCKS_B
    shock_size = np.where(
        shock_kind < falls,
        -rng.uniform(*fall_size, n),
        np.where(shock_kind < rises, rng.uniform(0.4, 1.0, n), 0.0),
    )
    ps = rng.beta(2.0, 3.0, n)
    ps = np.clip(
        ps + np.select([np.isin(type_idx, [STU, EARLY]), type_idx == CORP], [0.2, -0.2]), 0, 1
    )
    return {
        "e0": rng.normal(0.0, 1.0, n),
        "slope": rng.normal(0.0, 0.12, n),
        "shock_onset": rng.uniform(-3.0, 1.0, n),
        "shock_size": shock_size,
        "price_sensitivity": ps,
        "payment_discipline": rng.normal(0.0, 1.0, n),
        # Personal habits on each channel, on top of engagement.
        "u_login": rng.normal(0.0, 0.5, n),
        "u_email": rng.normal(0.0, 0.6, n),
        "u_community": rng.normal(0.0, 0.6, n),
        "u_download": rng.normal(0.0, 0.6, n),
        "offline": rng.random(n) < 0.25,
    }


# Lapse model coefficients (logit scale). Kept together so tests can name the drivers.
# Sized so that the drivers leave a readable trace: with weaker ones even the true p_lapse
# ranked the latest closed cycle at an AUC of only about 0.80, no target for a real model.
LAPSE_BASE = -2.5
LAPSE_COEF = {
    "engagement": -1.6,
    "trend": -0.6,
    "price_raise": 4.0,
    "dropped_employer": 2.2,
    "org_paid": -1.2,
    "past_late": 0.7,
    "past_partial": 1.2,
    "first_renewal": 1.2,
    "log_tenure": -0.5,
    "committee": -0.8,
}
LATE_DISCIPLINE = 1.4  # log-odds of paying late per standard deviation of payment discipline
LAPSE_NOISE = 0.25  # what no data can explain (a member's own circumstances)
TYPE_EFFECT = np.array([0.0, 0.2, 0.25, 0.25, -0.4, 0.45, 0.0])


def renewal_outcomes(rng: np.random.Generator, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Draw the outcome of each billed member-term from its drivers.

    ``x`` holds arrays of equal length: engagement, trend, price_change, price_sensitivity,
    dropped_employer, org_paid, past_late, past_partial, first_renewal, tenure, type_idx,
    committee, discipline, amount (cents). Returns p_lapse, outcome and payment schedule
    offsets (days from term start) plus the share paid for partial payers.
    """
    n = len(x["engagement"])
    raise_term = x["price_sensitivity"] * np.log1p(np.clip(x["price_change"], 0.0, None))
    logit = (
        LAPSE_BASE
        + LAPSE_COEF["engagement"] * x["engagement"]
        + LAPSE_COEF["trend"] * x["trend"]
        + LAPSE_COEF["price_raise"] * raise_term
        + LAPSE_COEF["dropped_employer"] * x["dropped_employer"]
        + LAPSE_COEF["org_paid"] * x["org_paid"]
        + LAPSE_COEF["past_late"] * np.minimum(x["past_late"], 3)
        + LAPSE_COEF["past_partial"] * np.minimum(x["past_partial"], 2)
        + LAPSE_COEF["first_renewal"] * x["first_renewal"]
        + LAPSE_COEF["log_tenure"] * np.log1p(x["tenure"])
        + LAPSE_COEF["committee"] * x["committee"]
        + TYPE_EFFECT[x["type_idx"]]
        + rng.normal(0.0, LAPSE_NOISE, n)
    )
    return _outcomes_from_logit(rng, x, logit, raise_term)


def _outcomes_from_logit(rng, x, logit, raise_term) -> dict[str, np.ndarray]:
    """The destined outcome and the payment schedule of terms whose lapse log-odds are given."""
    n = len(logit)
    p_lapse = sigmoid(logit)
    lapses = rng.random(n) < p_lapse
    # Paying late is a habit (hidden payment discipline, seen only in how early or late past
    # invoices were paid and in card declines) and an employer's slower accounts payable.
    late_logit = (
        -1.2
        - LATE_DISCIPLINE * x["discipline"]
        + 0.7 * x["org_paid"]
        + 0.35 * np.minimum(x["past_late"], 3)
        - 0.3 * x["engagement"]
        + 1.2 * raise_term
        + rng.normal(0.0, 0.4, n)
    )
    late = rng.random(n) < sigmoid(late_logit)
    partial_share = np.where(x["amount"] >= 15000, 0.30, 0.15)
    partial = lapses & (rng.random(n) < partial_share)
    outcome = np.where(lapses, np.where(partial, PARTIAL, LAPSED), np.where(late, LATE, ON_TIME))
    # Days from term start: on-time payers pay inside the 60-day billing lead, earlier when
    # disciplined; late payers inside the grace period; partial payers around the due date.
    u = rng.random(n)
    early_bias = 1.0 + 0.6 * np.clip(x["discipline"], -1.5, 1.5)
    on_time_day = -np.ceil(58 * u ** np.clip(early_bias, 0.3, None)).astype(int)
    # the less disciplined pay later within the grace period, too
    lateness = 1.6 * np.exp(0.4 * np.clip(x["discipline"], -1.5, 1.5))
    late_day = 1 + np.floor(85 * rng.random(n) ** lateness).astype(int)
    partial_day = rng.integers(-40, 60, n)
    installments = (outcome == LATE) & (rng.random(n) < 0.25)
    first_day = np.select(
        [outcome == ON_TIME, installments, outcome == LATE, outcome == PARTIAL],
        [on_time_day, -rng.integers(1, 50, n), late_day, partial_day],
        default=0,
    )
    second_day = np.where(installments, np.maximum(late_day, 5), 0)
    share = np.where(
        outcome == PARTIAL,
        rng.uniform(0.4, 0.75, n),
        np.where(installments, 0.5, 1.0),
    )
    return {
        "p_lapse": p_lapse,
        "outcome": outcome.astype(np.int64),
        "pay1_day": first_day.astype(np.int64),
        "pay2_day": second_day.astype(np.int64),
        "installments": installments,
        "share1": share,
    }


def period_rates(latent: dict[str, np.ndarray], idx: np.ndarray, eng: np.ndarray) -> dict:
    """Expected engagement counts per half-year for members ``idx`` at engagement ``eng``
    (``latent["activity_scale"]``: a site whose members use its portal more, profile b)."""
    offline = np.where(latent["offline"][idx], 0.05, 1.0) * latent.get("activity_scale", 1.0)
    return {
        "WEBLOGIN": np.exp(0.9 + 1.0 * eng + latent["u_login"][idx]) * offline,
        "EMAIL_OPEN_P": sigmoid(-0.6 + 0.9 * eng + latent["u_email"][idx]),
        "EMAIL_CLICK_P": sigmoid(-1.8 + 0.6 * eng),
        "COMMUNITY": np.exp(-2.6 + 1.2 * eng + latent["u_community"][idx]),
        "DOWNLOAD": np.exp(-1.9 + 0.8 * eng + latent["u_download"][idx]),
    }


EMAILS_PER_PERIOD = 6  # monthly newsletter


# -- profile b: an association whose lapses have other causes ------------------------------------
# What renewal teams report as lapse signals, sized so that no one of them dominates: payment
# trouble (card declines, late payment), a change of employer or of member type, a FALL in the
# member's engagement against their own past (the level itself says nothing here), the first
# renewals, and what the member's dues did. Organisation members lapse when the employees they
# sponsor leave. The base rate is higher than the default profile's.
# Engagement in profile b: more members' engagement falls (share with a fall, share with a fall
# or a rise, size of a fall), and its members use the portal more than the default's.
SHOCKS_B = (0.3, 0.36, (0.9, 2.2))
ACTIVITY_SCALE_B = 8.0
ACTIVITY_PERIODS_B = 10  # half-years of activity the site keeps
LAPSE_BASE_B = -2.1
LAPSE_COEF_B = {
    "fall": -4.2,  # engagement now against the member's own level a year and a half before
    "declines": 1.4,  # card declines in the months before the renewal
    "past_late": 0.8,
    "dropped_employer": 2.8,
    "tier_changed": 1.8,
    "price_raise": 5.5,
    "first_renewal": 1.4,
    "log_tenure": -0.5,
    "sponsor_loss": 4.5,  # organisation members: share of sponsored employees gone this year
    "sponsored": -0.8,  # organisation members: log(1 + employees sponsored)
}
TYPE_EFFECT_B = np.array([0.0, 0.3, -0.2, 0.1, 0.0, 0.35, 0.0])
# Dues of profile b: other prices, and raises that come more often and bigger.
BASE_PRICE_B = [410, 75, 150, 220, 1900, 120, 0]
RAISE_STEPS_B = (np.array([0.0, 0.02, 0.04, 0.06, 0.1, 0.15]), [0.35, 0.15, 0.2, 0.12, 0.1, 0.08])


class PriceBookB(PriceBook):
    """Profile b's dues: its own base prices and a lumpier history of raises."""

    def __init__(self, seed: int):
        rng = np.random.default_rng([seed, 515151])
        years = self.LAST_YEAR - self.FIRST_YEAR + 1
        steps, weights = RAISE_STEPS_B
        pct = steps[rng.choice(len(steps), size=(6, years), p=weights)]
        anchor = _ANCHOR_YEAR - self.FIRST_YEAR
        growth = np.cumprod(1 + pct, axis=1)
        growth = growth / growth[:, [anchor]]
        dollars = np.array(BASE_PRICE_B[:6], dtype=float)[:, None] * growth
        cents = (np.round(dollars / 5) * 5 * 100).astype(np.int64)
        self._cents = np.vstack([cents, np.zeros((1, years), dtype=np.int64)])


def renewal_outcomes_b(rng: np.random.Generator, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Profile b's outcome of each billed term (see ``renewal_outcomes`` for ``x``; also
    ``fall``, ``declines``, ``tier_changed`` and ``sponsor_loss``). The payment schedule is
    drawn as in the default profile."""
    n = len(x["engagement"])
    c = LAPSE_COEF_B
    raise_term = x["price_sensitivity"] * np.log1p(np.clip(x["price_change"], 0.0, None))
    logit = (
        LAPSE_BASE_B
        + c["fall"] * np.clip(x["fall"], None, 0.5)
        + c["declines"] * np.minimum(x["declines"], 3)
        + c["past_late"] * np.minimum(x["past_late"], 3)
        + c["dropped_employer"] * x["dropped_employer"]
        + c["tier_changed"] * x["tier_changed"]
        + c["price_raise"] * raise_term
        + c["first_renewal"] * x["first_renewal"]
        + c["log_tenure"] * np.log1p(x["tenure"])
        + c["sponsor_loss"] * x["sponsor_loss"]
        + c["sponsored"] * x["sponsored"]
        + TYPE_EFFECT_B[x["type_idx"]]
        + rng.normal(0.0, LAPSE_NOISE, n)
    )
    return _outcomes_from_logit(rng, x, logit, raise_term)
