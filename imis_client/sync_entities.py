"""The iMIS entities a sync run reads: each one's endpoint, parser, mirror model and read mode.

``imis_client.sync`` runs them; the page workers parse with them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from imis_client import models as m
from imis_client.contracts import Ctx, named_values, nested
from imis_client.contracts import parsers as p
from imis_client.contracts.prices import item_price_id_of, parse_item_price


def _prop(name: str) -> Callable[[dict], object]:
    def read(record: dict):
        return named_values(record.get("Properties")).get(name)

    return read


@dataclass(frozen=True)
class SyncEntity:
    """How one iMIS entity is read and where it lands."""

    name: str
    endpoint: str
    model: type[m.MirrorModel]
    parse: Callable[[dict, Ctx], dict]
    id_of: Callable[[dict], str | None]
    # "stamp": incremental by a change stamp. "recent": new rows by a creation stamp each run,
    # a whole re-read (updates, deletions) every IMIS_FULL_REREAD_HOURS. "full": re-read whole
    # every run (small tables). "invoice": see EntitySyncer._run_invoices.
    mode: str  # a SyncMode
    stamp_filter: str = ""  # the filter property, e.g. "UpdatedOn"
    stamp_of: Callable[[dict], object] | None = None  # the raw stamp of one record
    order_by: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", m.SyncMode(self.mode))  # a typo fails before any read


def entities() -> list[SyncEntity]:
    """Every synced entity, in the order a run takes them."""
    return [
        SyncEntity(
            "item",
            "Item",
            m.ImisItem,
            p.parse_item,
            p.item_id_of,
            "full",
            order_by="ItemId",
            params={"ItemClassId": "eq:DUES"},
        ),
        SyncEntity(
            "item_price",
            "Item",
            m.ImisItemPrice,
            parse_item_price,
            item_price_id_of,
            "full",
            order_by="ItemId",
            params={"ItemClassId": "in:DUES|SUBSCRIPTION"},
        ),
        SyncEntity(
            "party",
            "Party",
            m.ImisParty,
            p.parse_party,
            p.party_id_of,
            "stamp",
            "UpdatedOn",
            lambda r: nested(r, "UpdateInformation", "UpdatedOn"),
            order_by="PartyId",
        ),
        SyncEntity(
            "subscription",
            "Subscription",
            m.ImisSubscription,
            p.parse_subscription,
            p.subscription_id_of,
            "stamp",
            "LastUpdated",
            lambda r: r.get("LastUpdated"),
        ),
        SyncEntity(
            "invoice",
            "InvoiceSummary",
            m.ImisInvoice,
            p.parse_invoice,
            p.invoice_id_of,
            "invoice",
            "InvoiceDate",
            lambda r: r.get("InvoiceDate"),
            order_by="InvoiceId",
        ),
        SyncEntity(
            "event", "Event", m.ImisEvent, p.parse_event, p.event_id_of, "full", order_by="EventId"
        ),
        SyncEntity(
            "registration",
            "EventRegistration",
            m.ImisEventRegistration,
            p.parse_registration,
            p.registration_id_of,
            "recent",
            "RegistrationDate",
            lambda r: r.get("RegistrationDate"),
            order_by="EventRegistrationId",
        ),
        SyncEntity(
            "activity",
            "Activity",
            m.ImisActivity,
            p.parse_activity,
            p.generic_id_of,
            "stamp",
            "TRANSACTION_DATE",
            _prop("TRANSACTION_DATE"),
            order_by="SEQN",
        ),
        SyncEntity(
            "group_member",
            "GroupMember",
            m.ImisGroupMember,
            p.parse_group_member,
            p.group_member_id_of,
            "recent",
            "JoinDate",
            lambda r: r.get("JoinDate"),
            order_by="GroupMemberId",
        ),
        SyncEntity(
            "communication",
            "CommunicationLog",
            m.ImisCommunication,
            p.parse_communication,
            p.communication_id_of,
            "stamp",
            "SentOn",
            lambda r: r.get("SentOn"),
            order_by="CommunicationLogId",
        ),
        SyncEntity(
            "relationship_owner",
            settings.IMIS_RELATIONSHIP_ENTITY,
            m.ImisRelationshipOwner,
            p.parse_relationship,
            p.generic_id_of,
            "full",
        ),
    ]


def entity_names() -> list[str]:
    return [e.name for e in entities()]
