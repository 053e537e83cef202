"""Permission codenames of the iMIS connection, and which role holds each."""

from common import roles

VIEW_MEMBERS = "imis_client.view_members"
VIEW_SYNC = "imis_client.view_sync"
RUN_SYNC = "imis_client.run_sync"
MANAGE_OUTBOX = "imis_client.manage_outbox"

DECLARED = (
    ("view_members", "Can search members and read their iMIS records"),
    ("view_sync", "Can see sync status and problems"),
    ("run_sync", "Can start a sync from iMIS"),
    ("manage_outbox", "Can retry or cancel writes waiting to go to iMIS"),
)

GRANTS = {
    roles.MEMBERSHIP: ["view_members"],
    roles.FINANCE: ["view_members"],
    roles.MANAGER: ["view_members", "view_sync"],
    roles.ADMINISTRATOR: ["view_members", "view_sync", "run_sync", "manage_outbox"],
}
