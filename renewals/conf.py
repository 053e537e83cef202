"""The renewals settings as one typed object (see the RENEWALS_* block in config/settings)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from common.money import to_money
from renewals.feature_names import FeatureConfig


@dataclass(frozen=True)
class RenewalSettings:
    grace_days: int
    horizon_days: int
    high_risk: float
    medium_risk: float
    holdout_share: float
    incentive_percent: int
    incentive_threshold: Decimal
    winback_days: int
    engagement_types: tuple[str, ...]
    payment_types: tuple[str, ...]
    failure_types: tuple[str, ...] = ()

    @property
    def features(self) -> FeatureConfig:
        return FeatureConfig(activity_types=self.engagement_types, grace_days=self.grace_days)

    def band(self, probability: float) -> str:
        if probability >= self.high_risk:
            return "high"
        if probability >= self.medium_risk:
            return "medium"
        return "low"


def renewal_settings() -> RenewalSettings:
    return RenewalSettings(
        grace_days=settings.RENEWALS_GRACE_DAYS,
        horizon_days=settings.RENEWALS_HORIZON_DAYS,
        high_risk=settings.RENEWALS_HIGH_RISK,
        medium_risk=settings.RENEWALS_MEDIUM_RISK,
        holdout_share=settings.RENEWALS_HOLDOUT_SHARE,
        incentive_percent=settings.RENEWALS_INCENTIVE_PERCENT,
        incentive_threshold=to_money(settings.RENEWALS_INCENTIVE_THRESHOLD),
        winback_days=settings.RENEWALS_WINBACK_DAYS,
        engagement_types=tuple(settings.RENEWALS_ENGAGEMENT_TYPES),
        payment_types=tuple(settings.RENEWALS_PAYMENT_TYPES),
        failure_types=tuple(settings.RENEWALS_PAYMENT_FAILURE_TYPES),
    )
