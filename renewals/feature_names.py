"""The renewal model's features by name: which columns there are, in which order, and what an
activity type is called. Pure Python, so code that only names features does not load pandas."""

from dataclasses import dataclass
from functools import cache

# Activity types the model knows by name; other configured types get a generic label.
ACTIVITY_LABELS = {
    "WEBLOGIN": ("logins", "web logins"),
    "EMAIL_OPEN": ("email_opens", "e-mails opened"),
    "EMAIL_CLICK": ("email_clicks", "e-mail links clicked"),
    "COMMUNITY": ("community_posts", "community posts"),
    "DOWNLOAD": ("downloads", "resource downloads"),
    "MEETING": ("meetings", "meetings attended"),
    "VOLUNTEER": ("volunteering", "volunteer activities"),
}

CATEGORICAL = ("member_type", "chapter")


@cache
def activity_slug(activity_type: str) -> tuple[str, str]:
    """(feature prefix, plain words) of an activity type."""
    if activity_type in ACTIVITY_LABELS:
        return ACTIVITY_LABELS[activity_type]
    slug = "".join(c if c.isalnum() else "_" for c in activity_type.lower())
    return slug, f"{activity_type.lower().replace('_', ' ')} activities"


@dataclass(frozen=True)
class FeatureConfig:
    activity_types: tuple[str, ...]
    grace_days: int = 90

    def names(self) -> list[str]:
        """Feature columns in a fixed order (the model stores them with itself)."""
        names = [
            "tenure_years",
            "member_type",
            "chapter",
            "is_organization",
            "has_email",
            "dues_amount",
            "dues_change_pct",
            "org_paid",
            "org_paid_before",
            "employer_stopped_paying",
            "past_renewals",
            "past_late",
            "past_partial",
            "past_lapses",
            "last_days_to_pay",
            "mean_days_late",
            "last_days_late",
            "payment_failures_365",
            "days_since_payment_failure",
            "sponsored_365",
            "sponsored_prior_365",
            "sponsored_change",
            "payer_mean_days_to_pay",
        ]
        for activity_type in self.activity_types:
            slug, _ = activity_slug(activity_type)
            names += [f"{slug}_{window}" for window in ("30", "90", "365", "prior_365")]
            names += [f"{slug}_trend", f"{slug}_recent_change", f"days_since_{slug}"]
        names += [
            "engagement_index",
            "engagement_trend",
            "engagement_recent_change",
            "engagement_drop",
            "engagement_total_trend",
        ]
        names += [
            "events_365",
            "events_prior_365",
            "events_trend",
            "no_shows_365",
            "registered_ahead",
            "days_since_event",
            "committees_now",
            "chair_now",
            "communications_365",
            "bounced_365",
        ]
        return names
