"""Permission codenames of revenue recognition, new-member billing and the board pack."""

from common import roles

VIEW_REVENUE = "dues.view_revenue"
RUN_RECOGNITION = "dues.run_recognition"
VIEW_BOARD_PACK = "dues.view_board_pack"

DECLARED = (
    ("view_revenue", "Can see deferred dues revenue, its schedules and roll-forward"),
    ("run_recognition", "Can draft a month's revenue recognition and new-member billing"),
    ("view_board_pack", "Can see and download the board pack"),
)

GRANTS = {
    roles.FINANCE: ["view_revenue", "run_recognition", "view_board_pack"],
    roles.MANAGER: ["view_revenue", "run_recognition", "view_board_pack"],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: [],
}
