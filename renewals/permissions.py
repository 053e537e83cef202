"""Permission codenames of renewals, and which role holds each."""

from common import roles

VIEW_RENEWALS = "renewals.view_renewals"
MANAGE_MODELS = "renewals.manage_models"

DECLARED = (
    ("view_renewals", "Can see renewal risk, the renewal dashboard and outreach tasks"),
    ("manage_models", "Can train, score on demand and activate churn model versions"),
)

GRANTS = {
    roles.MEMBERSHIP: ["view_renewals"],
    roles.MANAGER: ["view_renewals", "manage_models"],
}
