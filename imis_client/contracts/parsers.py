"""Per-entity parsers: one iMIS record → the typed columns of its mirror table.

Each parser takes the decoded record and a Ctx, and returns a dict of model field values that
includes ``imis_id``. It raises ContractError (naming entity, id and field) on anything that
does not fit, so the sync can quarantine that record and go on with the rest.
"""

from django.conf import settings

from imis_client.contracts import (
    Ctx,
    boolean,
    integer,
    local_date,
    local_datetime,
    money,
    named_values,
    nested,
    require_type,
    text,
    unbox,
    values,
)

PARTY_TYPES = ("PersonData", "OrganizationData", "ComboPartyData")


def _primary(ctx: Ctx, collection, field: str, key: str) -> str:
    """The primary entry of Emails / Phones, else the first one."""
    entries = [e for e in values(collection) if isinstance(e, dict)]
    chosen = next((e for e in entries if e.get("IsPrimary")), entries[0] if entries else None)
    return text(ctx, chosen.get(key), f"{field}.{key}") if chosen else ""


def former_names(ctx: Ctx, attrs: dict, last_name: str) -> str:
    """Former surnames (a maiden name) from the site's custom attribute, ``"; "``-joined.

    iMIS has no standard field for them: ``IMIS_FORMER_NAME_ATTRIBUTE`` names the property the
    site keeps them in. Several may be written with ``;`` (or ``,`` or ``/``) between them, or
    given as a list; the current surname, repeats and what would not fit the column are left out.
    A value of another kind (a flag, a date) is not a name: the setting names the wrong property,
    which should not keep the party out of the mirror, so it is read as none.
    """
    attribute = getattr(settings, "IMIS_FORMER_NAME_ATTRIBUTE", "")
    if not attribute:
        return ""
    value = unbox(attrs.get(attribute))
    if isinstance(value, dict):  # a collection: {"$type", "$values": [...]}
        value = values(value)
    if isinstance(value, list):
        value = ";".join(v for v in (unbox(v) for v in value) if isinstance(v, str))
    raw = text(ctx, value, attribute) if isinstance(value, str) else ""
    seen = {" ".join(last_name.split()).casefold()}
    kept: list[str] = []
    for part in raw.replace(",", ";").replace("/", ";").split(";"):
        name = " ".join(part.split())
        if name and name.casefold() not in seen and len("; ".join([*kept, name])) <= 300:
            seen.add(name.casefold())
            kept.append(name)
    return "; ".join(kept)


def party_id_of(record: dict) -> str | None:
    value = record.get("PartyId") or record.get("Id")
    return str(value) if value is not None else None


def parse_party(record: dict, ctx: Ctx) -> dict:
    kind = require_type(ctx, record, PARTY_TYPES)
    imis_id = text(ctx, record.get("PartyId") or record.get("Id"), "PartyId")
    if not imis_id:
        ctx.fail("PartyId", "an id", record.get("PartyId"))
    attrs = named_values(record.get("AdditionalAttributes"))
    person = record.get("PersonName") or {}
    org = record.get("PrimaryOrganization") or {}
    address = nested(record, "Addresses")
    first_address = (
        next((a for a in values(address) if isinstance(a, dict)), {}).get("Address") or {}
    )
    is_org = kind == "OrganizationData" or bool(record.get("IsOrganization"))
    name = text(ctx, record.get("Name") or record.get("OrganizationName"), "Name")
    if not name:
        name = text(ctx, person.get("FullName"), "PersonName.FullName")
    status = nested(record, "Status", "PartyStatusId")
    last_name = text(ctx, person.get("LastName"), "PersonName.LastName", max_length=120)
    return {
        "imis_id": imis_id,
        "is_organization": is_org,
        "name": name[:300],
        "prefix": text(ctx, person.get("NamePrefix"), "PersonName.NamePrefix", max_length=40),
        "first_name": text(ctx, person.get("FirstName"), "PersonName.FirstName", max_length=120),
        "middle_name": text(ctx, person.get("MiddleName"), "PersonName.MiddleName", max_length=120),
        "last_name": last_name,
        "suffix": text(ctx, person.get("NameSuffix"), "PersonName.NameSuffix", max_length=40),
        "informal_name": text(
            ctx, person.get("InformalName"), "PersonName.InformalName", max_length=120
        ),
        "former_names": "" if is_org else former_names(ctx, attrs, last_name),
        "email": (
            _primary(ctx, record.get("Emails"), "Emails", "Address")
            or text(ctx, record.get("Email"), "Email")
        )[:254],
        "phone": (
            _primary(ctx, record.get("Phones"), "Phones", "Number")
            or text(ctx, record.get("Phone"), "Phone")
        )[:60],
        "city": text(ctx, first_address.get("CityName") or record.get("CityName"), "CityName")[
            :120
        ],
        "region": text(
            ctx,
            first_address.get("CountrySubEntityCode") or record.get("CountrySubEntityName"),
            "CountrySubEntityCode",
        )[:120],
        "postal_code": text(ctx, first_address.get("PostalCode"), "PostalCode")[:30],
        "country": text(
            ctx, first_address.get("CountryCode") or record.get("CountryName"), "CountryCode"
        )[:80],
        "status": text(ctx, status, "Status.PartyStatusId")[:10],
        "customer_type": text(ctx, attrs.get("CustomerTypeCode"), "CustomerTypeCode")[:20],
        "customer_type_name": text(
            ctx, attrs.get("CustomerTypeDescription"), "CustomerTypeDescription"
        )[:120],
        "is_member": boolean(ctx, attrs.get("IsMember"), "IsMember"),
        "join_date": local_date(ctx, attrs.get("JoinDate"), "JoinDate"),
        "paid_thru": local_date(ctx, attrs.get("PaidThruDate"), "PaidThruDate"),
        "renewed_thru": local_date(ctx, attrs.get("RenewedThruDate"), "RenewedThruDate"),
        "chapter": text(ctx, attrs.get("Chapter"), "Chapter")[:60],
        "parent_party_id": text(ctx, attrs.get("ParentPartyId"), "ParentPartyId")[:80],
        "primary_org_id": text(
            ctx, org.get("OrganizationPartyId"), "PrimaryOrganization.OrganizationPartyId"
        )[:80],
        "primary_org_name": text(ctx, org.get("Name"), "PrimaryOrganization.Name")[:300],
        "primary_org_title": text(ctx, org.get("Title"), "PrimaryOrganization.Title")[:200],
        "imis_created_on": local_datetime(
            ctx, nested(record, "UpdateInformation", "CreatedOn"), "UpdateInformation.CreatedOn"
        ),
        "imis_updated_on": local_datetime(
            ctx, nested(record, "UpdateInformation", "UpdatedOn"), "UpdateInformation.UpdatedOn"
        ),
    }


def subscription_id_of(record: dict) -> str | None:
    party, item = record.get("PartyId"), record.get("ItemId") or nested(record, "Item", "ItemId")
    return f"{party}|{item}" if party and item else None


def parse_subscription(record: dict, ctx: Ctx) -> dict:
    require_type(ctx, record, ("SubscriptionData",))
    party = text(ctx, record.get("PartyId"), "PartyId")
    item = text(ctx, record.get("ItemId") or nested(record, "Item", "ItemId"), "ItemId")
    if not party or not item:
        ctx.fail("PartyId/ItemId", "both ids", [record.get("PartyId"), record.get("ItemId")])
    return {
        "imis_id": f"{party}|{item}",
        "party_id": party,
        "item_code": text(ctx, nested(record, "Item", "ItemCode") or item, "Item.ItemCode")[:80],
        "item_name": text(ctx, nested(record, "Item", "Name"), "Item.Name")[:200],
        "item_class": text(ctx, nested(record, "Item", "ItemClass", "ItemClassId"), "ItemClass")[
            :40
        ],
        "product_type": text(ctx, record.get("ProductType"), "ProductType")[:40],
        "status": text(ctx, record.get("Status"), "Status")[:20],
        "begin_date": local_date(ctx, record.get("BeginDate"), "BeginDate"),
        "bill_begin": local_date(ctx, record.get("BillBegin"), "BillBegin"),
        "bill_through": local_date(ctx, record.get("BillThrough"), "BillThrough"),
        "bill_date": local_date(ctx, record.get("BillDate"), "BillDate"),
        "paid_thru": local_date(ctx, record.get("PaidThru"), "PaidThru"),
        "continuous_since": local_date(ctx, record.get("ContinuousSince"), "ContinuousSince"),
        "cancelled_as_of": local_date(ctx, record.get("CancelledAsOf"), "CancelledAsOf"),
        "bill_to_id": text(ctx, record.get("BillToPartyId"), "BillToPartyId")[:80],
        "invoice_id": text(ctx, record.get("InvoiceId"), "InvoiceId")[:80],
        "billed_amount": money(ctx, record.get("BilledAmount"), "BilledAmount"),
        "payment_amount": money(ctx, record.get("PaymentAmount"), "PaymentAmount"),
        "payment_date": local_date(ctx, record.get("PaymentDate"), "PaymentDate"),
        "balance": money(ctx, record.get("Balance"), "Balance"),
        "is_member_component": boolean(ctx, record.get("IsMemberComponent"), "IsMemberComponent"),
        "renew_months": integer(ctx, record.get("RenewMonths"), "RenewMonths"),
        "reminder_count": integer(ctx, record.get("ReminderCount"), "ReminderCount"),
        "reminder_date": local_date(ctx, record.get("ReminderDate"), "ReminderDate"),
        "last_updated": local_datetime(ctx, record.get("LastUpdated"), "LastUpdated"),
    }


def invoice_id_of(record: dict) -> str | None:
    value = record.get("InvoiceId")
    return str(value) if value is not None else None


def parse_invoice(record: dict, ctx: Ctx) -> dict:
    require_type(ctx, record, ("InvoiceSummaryData",))
    imis_id = text(ctx, record.get("InvoiceId"), "InvoiceId")
    if not imis_id:
        ctx.fail("InvoiceId", "an id", record.get("InvoiceId"))
    balance = money(ctx, record.get("Balance"), "Balance")
    return {
        "imis_id": imis_id,
        "number": text(ctx, record.get("InvoiceNumber") or imis_id, "InvoiceNumber")[:80],
        "invoice_date": local_date(ctx, record.get("InvoiceDate"), "InvoiceDate"),
        "due_date": local_date(ctx, record.get("DueDate"), "DueDate"),
        "purpose": text(ctx, record.get("InvoicePurpose"), "InvoicePurpose")[:60],
        "accounting_method": text(ctx, record.get("AccountingMethod"), "AccountingMethod")[:20],
        "bill_to_id": text(ctx, nested(record, "BillToParty", "PartyId"), "BillToParty")[:80],
        "bill_to_name": text(ctx, nested(record, "BillToParty", "Name"), "BillToParty.Name")[:300],
        "sold_to_id": text(ctx, nested(record, "SoldToParty", "PartyId"), "SoldToParty")[:80],
        "sold_to_name": text(ctx, nested(record, "SoldToParty", "Name"), "SoldToParty.Name")[:300],
        "amount": money(ctx, record.get("InvoiceAmount"), "InvoiceAmount"),
        "adjustment_amount": money(ctx, record.get("AdjustmentAmount"), "AdjustmentAmount"),
        "payment_amount": money(ctx, record.get("PaymentAmount"), "PaymentAmount"),
        "balance": balance,
        "description": text(ctx, record.get("Description"), "Description")[:500],
        "autopay_instruction_id": text(
            ctx, record.get("AutoPayInstructionId"), "AutoPayInstructionId"
        )[:80],
        "is_open": balance is not None and balance != 0,
    }


def item_id_of(record: dict) -> str | None:
    value = record.get("ItemId") or record.get("ItemCode")
    return str(value) if value is not None else None


def parse_item(record: dict, ctx: Ctx) -> dict:
    imis_id = text(ctx, record.get("ItemId") or record.get("ItemCode"), "ItemId")
    if not imis_id:
        ctx.fail("ItemId", "an id", record.get("ItemId"))
    # [U] the price field of ItemData is not in the public lists; TempDefaultPrice assumed.
    return {
        "imis_id": imis_id,
        "code": text(ctx, record.get("ItemCode") or imis_id, "ItemCode")[:80],
        "name": text(ctx, record.get("Name"), "Name")[:200],
        "item_class": text(ctx, nested(record, "ItemClass", "ItemClassId"), "ItemClass")[:40],
        "status": text(ctx, record.get("ItemStatus"), "ItemStatus")[:10],
        "price": money(ctx, record.get("TempDefaultPrice"), "TempDefaultPrice"),
    }


def event_id_of(record: dict) -> str | None:
    value = record.get("EventId")
    return str(value) if value is not None else None


def parse_event(record: dict, ctx: Ctx) -> dict:
    imis_id = text(ctx, record.get("EventId"), "EventId")
    if not imis_id:
        ctx.fail("EventId", "an id", record.get("EventId"))
    attrs = named_values(record.get("AdditionalAttributes"))
    location = record.get("Location")
    return {
        "imis_id": imis_id,
        "name": text(ctx, record.get("Name"), "Name")[:300],
        "starts_at": local_datetime(ctx, record.get("StartDateTime"), "StartDateTime"),
        "ends_at": local_datetime(ctx, record.get("EndDateTime"), "EndDateTime"),
        "status": text(ctx, record.get("Status"), "Status")[:30],
        "location": text(
            ctx, location.get("Name") if isinstance(location, dict) else location, "Location"
        )[:300],
        "category": text(ctx, nested(record, "Category", "EventCategoryId"), "Category")[:80],
        "chapter": text(ctx, attrs.get("Chapter"), "Chapter")[:60],
        "fee": money(ctx, attrs.get("RegistrationFee"), "RegistrationFee"),
    }


def registration_id_of(record: dict) -> str | None:
    value = record.get("EventRegistrationId")
    return str(value) if value is not None else None


def parse_registration(record: dict, ctx: Ctx) -> dict:
    imis_id = text(ctx, record.get("EventRegistrationId"), "EventRegistrationId")
    if not imis_id:
        ctx.fail("EventRegistrationId", "an id", record.get("EventRegistrationId"))
    attrs = named_values(record.get("AdditionalAttributes"))
    event_id = record.get("EventId") or nested(record, "Event", "EventId")
    return {
        "imis_id": imis_id,
        "event_id": text(ctx, event_id, "EventId")[:80],
        "party_id": text(ctx, nested(record, "Registrant", "PartyId"), "Registrant.PartyId")[:80],
        "registered_on": local_datetime(ctx, record.get("RegistrationDate"), "RegistrationDate"),
        "status": text(ctx, record.get("Status"), "Status")[:30],
        # [U] attendance is not in the public field lists; an Attended attribute is assumed.
        "attended": boolean(ctx, attrs.get("Attended"), "Attended"),
        "amount_paid": money(ctx, attrs.get("AmountPaid"), "AmountPaid"),
    }


def generic_id_of(record: dict) -> str | None:
    elements = values(nested(record, "Identity", "IdentityElements"))
    if elements:
        return "|".join(str(e) for e in elements)
    props = named_values(record.get("Properties"))
    seqn = props.get("SEQN") or props.get("PartyId")
    return str(seqn) if seqn is not None else None


def parse_activity(record: dict, ctx: Ctx) -> dict:
    require_type(ctx, record, ("GenericEntityData",))
    props = named_values(record.get("Properties"))
    imis_id = text(ctx, props.get("SEQN"), "SEQN") or (generic_id_of(record) or "")
    if not imis_id:
        ctx.fail("SEQN", "an id", props.get("SEQN"))
    return {
        "imis_id": imis_id,
        "party_id": text(ctx, props.get("PartyId") or props.get("ID"), "PartyId")[:80],
        "activity_type": text(ctx, props.get("ACTIVITY_TYPE"), "ACTIVITY_TYPE")[:40],
        "transaction_date": local_datetime(ctx, props.get("TRANSACTION_DATE"), "TRANSACTION_DATE"),
        "effective_date": local_datetime(ctx, props.get("EFFECTIVE_DATE"), "EFFECTIVE_DATE"),
        "thru_date": local_datetime(ctx, props.get("THRU_DATE"), "THRU_DATE"),
        "product_code": text(ctx, props.get("PRODUCT_CODE"), "PRODUCT_CODE")[:80],
        "amount": money(ctx, props.get("AMOUNT"), "AMOUNT"),
        "units": money(ctx, props.get("UNITS"), "UNITS"),
        "description": text(ctx, props.get("DESCRIPTION"), "DESCRIPTION")[:500],
        "source_code": text(ctx, props.get("SOURCE_CODE"), "SOURCE_CODE")[:80],
        "member_type": text(ctx, props.get("MEMBER_TYPE"), "MEMBER_TYPE")[:20],
    }


def group_member_id_of(record: dict) -> str | None:
    value = record.get("GroupMemberId")
    return str(value) if value is not None else None


def parse_group_member(record: dict, ctx: Ctx) -> dict:
    imis_id = text(ctx, record.get("GroupMemberId"), "GroupMemberId")
    if not imis_id:
        ctx.fail("GroupMemberId", "an id", record.get("GroupMemberId"))
    detail = next((d for d in values(record.get("MembershipDetails")) if isinstance(d, dict)), {})
    return {
        "imis_id": imis_id,
        "group_id": text(ctx, nested(record, "Group", "GroupId"), "Group.GroupId")[:120],
        "group_name": text(ctx, nested(record, "Group", "Name"), "Group.Name")[:300],
        "group_class": text(
            ctx, nested(record, "Group", "GroupClass", "GroupClassId"), "Group.GroupClass"
        )[:60],
        "party_id": text(ctx, nested(record, "Party", "PartyId"), "Party.PartyId")[:80],
        "join_date": local_date(ctx, record.get("JoinDate"), "JoinDate"),
        "is_active": boolean(ctx, record.get("IsActive"), "IsActive"),
        "role": text(ctx, nested(detail, "Role", "Name"), "MembershipDetails.Role")[:120],
        "effective_date": local_date(ctx, detail.get("EffectiveDate"), "EffectiveDate"),
        "expiration_date": local_date(ctx, detail.get("ExpirationDate"), "ExpirationDate"),
    }


def communication_id_of(record: dict) -> str | None:
    value = record.get("CommunicationLogId")
    return str(value) if value is not None else None


def parse_communication(record: dict, ctx: Ctx) -> dict:
    # [U] CommunicationLog fields are not in the public lists; these names are assumed.
    imis_id = text(ctx, record.get("CommunicationLogId"), "CommunicationLogId")
    if not imis_id:
        ctx.fail("CommunicationLogId", "an id", record.get("CommunicationLogId"))
    party = record.get("PartyId") or nested(record, "Recipient", "PartyId")
    return {
        "imis_id": imis_id,
        "party_id": text(ctx, party, "PartyId")[:80],
        "sent_on": local_datetime(ctx, record.get("SentOn"), "SentOn"),
        "channel": text(ctx, record.get("Channel"), "Channel")[:30],
        "subject": text(ctx, record.get("Subject"), "Subject")[:500],
        "template": text(ctx, record.get("TemplateName"), "TemplateName")[:200],
        "status": text(ctx, record.get("Status"), "Status")[:30],
        "sent_by": text(ctx, record.get("SentBy"), "SentBy")[:120],
        "invoice_id": text(ctx, record.get("InvoiceId"), "InvoiceId")[:80],
    }


def parse_relationship(record: dict, ctx: Ctx) -> dict:
    require_type(ctx, record, ("GenericEntityData",))
    props = named_values(record.get("Properties"))
    party = text(ctx, props.get("PartyId"), "PartyId") or (generic_id_of(record) or "")
    if not party:
        ctx.fail("PartyId", "an id", props.get("PartyId"))
    return {
        "imis_id": party,
        "party_id": party[:80],
        "staff_user_id": text(ctx, props.get("StaffUserId"), "StaffUserId")[:120],
        "role": text(ctx, props.get("Role"), "Role")[:120],
    }
