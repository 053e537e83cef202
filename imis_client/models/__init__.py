"""Models of the iMIS connection: the mirror of iMIS, sync bookkeeping, and the outbox."""

from imis_client.models.mirror import (
    ImisActivity,
    ImisCommunication,
    ImisEvent,
    ImisEventRegistration,
    ImisGroupMember,
    ImisInvoice,
    ImisItem,
    ImisParty,
    ImisRelationshipOwner,
    ImisSubscription,
    MirrorModel,
)
from imis_client.models.outbox import OutboxWrite
from imis_client.models.prices import ImisItemPrice
from imis_client.models.sync import ImisAccess, SyncMode, SyncQuarantine, SyncRun, SyncState

__all__ = [
    "ImisAccess",
    "ImisActivity",
    "ImisCommunication",
    "ImisEvent",
    "ImisEventRegistration",
    "ImisGroupMember",
    "ImisInvoice",
    "ImisItem",
    "ImisItemPrice",
    "ImisParty",
    "ImisRelationshipOwner",
    "ImisSubscription",
    "MirrorModel",
    "OutboxWrite",
    "SyncMode",
    "SyncQuarantine",
    "SyncRun",
    "SyncState",
]
