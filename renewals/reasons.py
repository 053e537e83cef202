"""Plain-language reasons from per-member feature contributions, and a next best action.

Contributions of related features (a channel's 90-day, 12-month and trend counts, say) are added
up into one topic, so that a member's reasons are the topics that raised their risk most, each
said once, with the member's own numbers.
"""

import math

import numpy as np
import pandas as pd

from renewals.feature_names import ACTIVITY_LABELS, activity_slug

TYPE_NAMES = {
    "REG": "Regular",
    "STU": "Student",
    "RET": "Retired",
    "EARLY": "Early-career",
    "CORP": "Corporate",
    "AFF": "Affiliate",
}

STATIC_TOPICS = {
    "tenure_years": "tenure",
    "past_renewals": "tenure",
    "member_type": "member_type",
    "chapter": "chapter",
    "is_organization": "contact",
    "has_email": "contact",
    "dues_amount": "dues",
    "dues_change_pct": "dues",
    "org_paid": "employer",
    "org_paid_before": "employer",
    "employer_stopped_paying": "employer",
    "past_late": "payment",
    "past_partial": "payment",
    "past_lapses": "payment",
    "last_days_to_pay": "payment",
    "mean_days_late": "payment",
    "last_days_late": "payment",
    "payment_failures_365": "payment",
    "days_since_payment_failure": "payment",
    "sponsored_365": "sponsored",
    "sponsored_prior_365": "sponsored",
    "sponsored_change": "sponsored",
    "payer_mean_days_to_pay": "sponsored",
    "engagement_index": "engagement",
    "engagement_trend": "engagement",
    "engagement_recent_change": "engagement",
    "engagement_drop": "engagement",
    "engagement_total_trend": "engagement",
    "events_365": "events",
    "events_prior_365": "events",
    "events_trend": "events",
    "no_shows_365": "events",
    "registered_ahead": "events",
    "days_since_event": "events",
    "committees_now": "committees",
    "chair_now": "committees",
    "communications_365": "contact",
    "bounced_365": "contact",
}

ACTIONS = {
    "dues": "Explain the dues change and offer to spread the payment",
    "employer": "Call: offer an individual rate now the employer no longer pays",
    "payment": "Send the invoice early with a payment link; offer instalments",
    "tenure": "Welcome call: show what members use in their first years",
    "member_type": "Call: check the membership type still fits",
    "contact": "Update contact details, then send the renewal by post as well",
    "events": "Personal call; invite them to the next chapter event",
    "committees": "Personal call; invite them to volunteer on a committee",
    "engagement": "Personal call; point them to the benefits they have not used",
    "sponsored": "Call the organisation: review who it sponsors and what the membership gives",
}
BAND_ACTIONS = {
    "high": "Personal call from the relationship owner",
    "medium": "Reminder by e-mail or SMS",
    "low": "Standard renewal notice",
}


def topic_of(feature: str) -> str:
    if feature in STATIC_TOPICS:
        return STATIC_TOPICS[feature]
    for activity_type in ACTIVITY_LABELS:
        slug, _ = activity_slug(activity_type)
        if feature.startswith(f"{slug}_") or feature == f"days_since_{slug}":
            return f"activity:{activity_type}"
    if feature.startswith("days_since_"):
        return f"activity:{feature.removeprefix('days_since_').upper()}"
    # A site's own activity types (their features are "<slug>_<window or measure>").
    for suffix in ("_prior_365", "_recent_change", "_trend", "_365", "_90", "_30"):
        if feature.endswith(suffix):
            return f"activity:{feature.removesuffix(suffix).upper()}"
    return f"activity:{feature.rsplit('_', 1)[0].upper()}"


def topic_contributions(contributions: np.ndarray, features: list[str]) -> tuple[list, np.ndarray]:
    """(topics, matrix of rows by topics): contributions summed per topic."""
    topics = sorted({topic_of(f) for f in features})
    index = {t: i for i, t in enumerate(topics)}
    mapping = np.zeros((len(features), len(topics)))
    for j, feature in enumerate(features):
        mapping[j, index[topic_of(feature)]] = 1.0
    return topics, contributions @ mapping


def top_reasons(
    features: pd.DataFrame, contributions: np.ndarray, names: list[str], *, k: int = 3
) -> list[list[dict]]:
    """Per member, up to k topics that raised the risk, largest first, as plain sentences."""
    topics, by_topic = topic_contributions(contributions, names)
    order = np.argsort(-by_topic, axis=1)[:, :k]
    columns = _Columns(features)
    out = []
    for i in range(len(features)):
        row = _Row(columns, i)
        reasons = []
        for j in order[i]:
            weight = float(by_topic[i, j])
            if weight <= 0.01:
                break
            reasons.append(
                {"topic": topics[j], "text": describe(topics[j], row), "weight": round(weight, 3)}
            )
        out.append(reasons)
    return out


class _Columns:
    """The feature columns as lists of Python values, each converted once, when a sentence
    first asks for it (not once per member and value: most of the time of the reasons)."""

    def __init__(self, features: pd.DataFrame) -> None:
        self.features, self.lists = features, {}

    def get(self, name: str) -> list | None:
        values = self.lists.get(name)
        if values is None and name in self.features.columns:
            column = self.features[name].to_numpy()
            if column.dtype != object:
                values = column.tolist()
            else:
                values = [v.item() if hasattr(v, "item") else v for v in column]
            self.lists[name] = values
        return values


class _Row:
    """One member's feature values, read from the columns only when a sentence asks."""

    __slots__ = ("columns", "i")

    def __init__(self, columns: _Columns, i: int) -> None:
        self.columns, self.i = columns, i

    def get(self, name: str, default=None):
        column = self.columns.get(name)
        if column is None:
            return default
        return column[self.i]

    def __getitem__(self, name: str):
        return self.get(name)


def next_action(band: str, reasons: list[dict]) -> str:
    if band == "high" and reasons:
        topic = reasons[0]["topic"]
        return ACTIONS.get(topic, ACTIONS["engagement"] if topic.startswith("activity:") else "")
    return BAND_ACTIONS[band]


# --- sentences ----------------------------------------------------------------------------------


def _n(value) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value))


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def describe(topic: str, row: dict) -> str:
    if topic.startswith("activity:"):
        return _activity(topic.removeprefix("activity:"), row)
    return _TOPIC_TEXT[topic](row)


def _activity(activity_type: str, row: dict) -> str:
    slug, words = activity_slug(activity_type)
    now, before = _n(row.get(f"{slug}_365")), _n(row.get(f"{slug}_prior_365"))
    if now is None:
        return f"no record of {words} in the last 12 months"
    if now == 0 and not before:
        return f"no {words} in the last 12 months"
    if before is not None and before > now:
        return f"{words} down to {now} in the last 12 months, from {before} the year before"
    return f"only {now} {words} in the last 12 months"


def _tenure(row) -> str:
    years = row.get("tenure_years") or 0.0
    if not row.get("past_renewals"):
        months = max(1, _n(years * 12) or 1)
        return f"first renewal: joined {_count(months, 'month')} ago"
    return f"a member for {_count(_n(years) or 1, 'year')}; newer members lapse more"


def _member_type(row) -> str:
    name = TYPE_NAMES.get(row.get("member_type"), row.get("member_type") or "this")
    return f"{name} members lapse more often than others"


def _chapter(row) -> str:
    return f"members of the {row.get('chapter') or 'unassigned'} chapter lapse more often"


def _contact(row) -> str:
    if row.get("bounced_365"):
        return f"e-mails to them bounced ({_count(_n(row['bounced_365']), 'time')} this year)"
    if not row.get("has_email"):
        return "no e-mail address on file"
    if row.get("is_organization"):
        return "an organisation membership"
    return "few messages from the association reach them"


def _dues(row) -> str:
    change, amount = row.get("dues_change_pct"), row.get("dues_amount")
    if change is not None and not math.isnan(change) and change > 0.5:
        return f"dues rise {change:.0f}% for the next term, to ${amount:,.2f}"
    if amount is not None and not math.isnan(amount):
        return f"dues of ${amount:,.2f} for the next term"
    return "the dues for the next term"


def _employer(row) -> str:
    if row.get("employer_stopped_paying"):
        return "employer no longer pays the dues"
    if row.get("org_paid") == 0:
        return "pays the dues personally, not through an employer"
    return "the employer pays the dues"


def _payment(row) -> str:
    late, partial = _n(row.get("past_late")) or 0, _n(row.get("past_partial")) or 0
    renewals = _n(row.get("past_renewals")) or 0
    days = _n(row.get("last_days_to_pay"))
    parts = []
    if late:
        parts.append(f"paid late {late} of the last {_count(max(renewals, late), 'renewal')}")
    if partial:
        parts.append(f"paid in parts or only partly {_count(partial, 'time')}")
    failures = _n(row.get("payment_failures_365")) or 0
    if failures:
        parts.insert(0, f"{_count(failures, 'payment')} declined in the last 12 months")
    if not parts and days is not None:
        parts.append(f"took {_count(days, 'day')} to pay the last invoice")
    return "; ".join(parts) or "a record of slow payment"


def _sponsored(row) -> str:
    now, before = _n(row.get("sponsored_365")), _n(row.get("sponsored_prior_365"))
    if now is None:
        return "an organisation membership"
    if before is not None and before > now:
        return f"sponsors {_count(now, 'member')} this year, down from {before}"
    return f"sponsors {_count(now, 'member')}"


def _engagement(row) -> str:
    trend = row.get("engagement_trend")
    if trend is not None and not math.isnan(trend) and trend < -0.1:
        return f"online activity down about {100 * (1 - math.exp(trend)):.0f}% on the year before"
    recent = row.get("engagement_recent_change")
    if recent is not None and not math.isnan(recent) and recent < -0.1:
        return "online activity has fallen off in recent months"
    return "little online activity in the last 12 months"


def _events(row) -> str:
    now, before = _n(row.get("events_365")), _n(row.get("events_prior_365"))
    if now is None:
        return "no record of events attended"
    text = (
        "attended no events this year"
        if now == 0
        else (f"attended {_count(now, 'event')} this year")
    )
    if before is not None:
        text += f", {before} last year"
    if row.get("no_shows_365"):
        text += f"; missed {_count(_n(row['no_shows_365']), 'event')} they registered for"
    return text


def _committees(row) -> str:
    if row.get("committees_now"):
        return f"serves on {_count(_n(row['committees_now']), 'committee')}"
    return "serves on no committee"


_TOPIC_TEXT = {
    "tenure": _tenure,
    "member_type": _member_type,
    "chapter": _chapter,
    "contact": _contact,
    "dues": _dues,
    "employer": _employer,
    "payment": _payment,
    "engagement": _engagement,
    "events": _events,
    "committees": _committees,
    "sponsored": _sponsored,
}
