"""Permission codenames of collections (receivables, late-payment risk), and who holds each."""

from common import roles

VIEW_RECEIVABLES = "dues.view_receivables"
MANAGE_LATE_PAYMENT_MODEL = "dues.manage_late_payment_model"

DECLARED = (
    ("view_receivables", "Can see receivables: aging, DSO, expected collections, invoice risk"),
    ("manage_late_payment_model", "Can train, activate and run the late-payment model"),
)

GRANTS = {
    roles.FINANCE: ["view_receivables"],
    roles.MANAGER: ["view_receivables", "manage_late_payment_model"],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: [],
}
