"""Mirror tables: what iMIS says, keyed by iMIS ids, typed columns beside the raw payload.

Only the sync writes these tables; everyone else reads them through selectors. Rows refer to one
another by iMIS id (text), not by foreign key: iMIS sends them in any order, and a member may
arrive before the organisation that pays for them.
"""

import json

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from psycopg.types.json import Json, Jsonb


class ExactJSONField(models.JSONField):
    """JSON kept as PostgreSQL ``json``: the exact text that was sent, validated, not rebuilt.

    Nothing queries inside a mirror's payload in SQL, and building ``jsonb`` from it cost the
    server more CPU than the rest of a full sync's inserts; ``json`` only checks the syntax.
    It has no equality operator, so lookups on the column itself are not available.
    """

    def db_type(self, connection):
        return "json"

    def get_db_prep_value(self, value, connection, prepared=False):
        adapted = super().get_db_prep_value(value, connection, prepared)
        # Django hands JSONField values to psycopg as jsonb; this column is json.
        if isinstance(adapted, Jsonb):
            return Json(adapted.obj, dumps=adapted.dumps)
        return adapted

    def from_db_value(self, value, expression, connection):
        if value is None or not isinstance(value, str):
            return value  # psycopg decodes json columns itself (Django only sets up jsonb)
        return super().from_db_value(value, expression, connection)


class JSONTextField(ExactJSONField):
    """JSON kept as PostgreSQL ``text``: the exact text iMIS sent, validated by the sync.

    The sync decodes every record before it stores its text (``contracts.wire``: msgspec and
    orjson reject malformed JSON, skipped parts included), so the server need not parse it a
    second time: ``json``'s syntax check was 40 % of the server's CPU for a full sync. Reading a
    key in SQL takes a cast (``raw::json ->> 'Note'``); the ORM reads it back as JSON.
    """

    def db_type(self, connection):
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        adapted = super().get_db_prep_value(value, connection, prepared)
        if isinstance(adapted, Json):  # JSON built here (not read from iMIS): its text
            text = (adapted.dumps or json.dumps)(adapted.obj)
            return text.decode() if isinstance(text, bytes) else text
        return adapted


class MirrorModel(models.Model):
    """Columns every mirror table has."""

    imis_id = models.CharField(max_length=80)
    raw = JSONTextField(help_text="The record exactly as iMIS sent it.")
    raw_hash = models.BigIntegerField(help_text="Hash of raw; equal hash means nothing changed.")
    synced_at = models.DateTimeField(help_text="When the sync last wrote this row.")
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a full re-read no longer finds the record."
    )

    class Meta:
        abstract = True
        # A constraint rather than unique=True, which on PostgreSQL also builds a second,
        # varchar_pattern_ops index for LIKE: nothing searches iMIS ids by prefix, and a full
        # sync would build and maintain it for every row.
        constraints = [
            models.UniqueConstraint(fields=["imis_id"], name="%(app_label)s_%(class)s_imis_id_key")
        ]


class ImisParty(MirrorModel):
    """A person or organisation (``PersonData`` / ``OrganizationData``)."""

    class Status(models.TextChoices):
        ACTIVE = "A", "Active"
        INACTIVE = "I", "Inactive"
        SUSPENDED = "S", "Suspended"
        DROPPED = "D", "Dropped"

    is_organization = models.BooleanField(default=False)
    name = models.CharField(max_length=300)
    prefix = models.CharField(max_length=40, blank=True)
    first_name = models.CharField(max_length=120, blank=True)
    middle_name = models.CharField(max_length=120, blank=True)
    last_name = models.CharField(max_length=120, blank=True)
    suffix = models.CharField(max_length=40, blank=True)
    informal_name = models.CharField(max_length=120, blank=True)
    # Surnames the person was known by (a maiden name), "; "-separated: from the site's custom
    # attribute named by IMIS_FORMER_NAME_ATTRIBUTE (iMIS has no standard field for it).
    former_names = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=60, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=30, blank=True)
    country = models.CharField(max_length=80, blank=True)
    # iMIS allows site-defined codes beyond these four (any code starting A is "active").
    status = models.CharField(max_length=10, blank=True, db_index=True, choices=Status.choices)
    customer_type = models.CharField(max_length=20, blank=True, db_index=True)
    customer_type_name = models.CharField(max_length=120, blank=True)
    is_member = models.BooleanField(null=True)
    join_date = models.DateField(null=True, blank=True)
    paid_thru = models.DateField(null=True, blank=True, db_index=True)
    renewed_thru = models.DateField(null=True, blank=True)
    chapter = models.CharField(max_length=60, blank=True, db_index=True)
    parent_party_id = models.CharField(max_length=80, blank=True)
    primary_org_id = models.CharField(max_length=80, blank=True, db_index=True)
    primary_org_name = models.CharField(max_length=300, blank=True)
    primary_org_title = models.CharField(max_length=200, blank=True)
    imis_created_on = models.DateTimeField(null=True, blank=True)
    imis_updated_on = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["name"]
        verbose_name = "iMIS party"
        verbose_name_plural = "iMIS parties"
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="party_lastfirst"),
            GinIndex(name="party_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.imis_id})"


class ImisSubscription(MirrorModel):
    """A dues or subscription line: one per contact and product (``SubscriptionData``)."""

    party_id = models.CharField(max_length=80, db_index=True)
    item_code = models.CharField(max_length=80)
    item_name = models.CharField(max_length=200, blank=True)
    item_class = models.CharField(max_length=40, blank=True)
    product_type = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, blank=True)
    begin_date = models.DateField(null=True, blank=True)
    bill_begin = models.DateField(null=True, blank=True)
    bill_through = models.DateField(null=True, blank=True)
    bill_date = models.DateField(null=True, blank=True)
    paid_thru = models.DateField(null=True, blank=True, db_index=True)
    continuous_since = models.DateField(null=True, blank=True)
    cancelled_as_of = models.DateField(null=True, blank=True)
    bill_to_id = models.CharField(max_length=80, blank=True)
    invoice_id = models.CharField(max_length=80, blank=True)
    billed_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    payment_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    payment_date = models.DateField(null=True, blank=True)
    balance = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    is_member_component = models.BooleanField(null=True)
    renew_months = models.IntegerField(null=True)
    reminder_count = models.IntegerField(null=True)
    reminder_date = models.DateField(null=True, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["party_id", "item_code"]
        verbose_name = "iMIS subscription"

    def __str__(self) -> str:
        return f"{self.item_code} for {self.party_id}"


class ImisInvoice(MirrorModel):
    """An invoice with its balance (``InvoiceSummaryData``)."""

    number = models.CharField(max_length=80, db_index=True)
    invoice_date = models.DateField(null=True, blank=True, db_index=True)
    due_date = models.DateField(null=True, blank=True)
    purpose = models.CharField(max_length=60, blank=True)
    accounting_method = models.CharField(max_length=20, blank=True)
    bill_to_id = models.CharField(max_length=80, blank=True, db_index=True)
    bill_to_name = models.CharField(max_length=300, blank=True)
    sold_to_id = models.CharField(max_length=80, blank=True, db_index=True)
    sold_to_name = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    adjustment_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    payment_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    balance = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    description = models.CharField(max_length=500, blank=True)
    autopay_instruction_id = models.CharField(
        max_length=80,
        blank=True,
        help_text="AutoPayInstructionId: the card on file is charged on the due date.",
    )
    is_open = models.BooleanField(default=False, db_index=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-invoice_date", "imis_id"]
        verbose_name = "iMIS invoice"

    def __str__(self) -> str:
        return f"Invoice {self.number}"


class ImisItem(MirrorModel):
    """A dues product and its price (``ItemData``, price field [U])."""

    code = models.CharField(max_length=80)
    name = models.CharField(max_length=200, blank=True)
    item_class = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta(MirrorModel.Meta):
        ordering = ["code"]
        verbose_name = "iMIS item"

    def __str__(self) -> str:
        return self.code


class ImisEvent(MirrorModel):
    """An event (``EventData``)."""

    name = models.CharField(max_length=300)
    starts_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=30, blank=True)
    location = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=80, blank=True)
    chapter = models.CharField(max_length=60, blank=True)
    fee = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-starts_at"]
        verbose_name = "iMIS event"

    def __str__(self) -> str:
        return self.name


class ImisEventRegistration(MirrorModel):
    """A registration for an event, with attendance where known ([U] ``Attended``)."""

    event_id = models.CharField(max_length=80, db_index=True)
    party_id = models.CharField(max_length=80, db_index=True)
    registered_on = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=30, blank=True)
    attended = models.BooleanField(null=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-registered_on"]
        verbose_name = "iMIS event registration"

    def __str__(self) -> str:
        return f"{self.party_id} at {self.event_id}"


class ImisActivity(MirrorModel):
    """An engagement or transaction activity row (``Activity``, GenericEntityData)."""

    party_id = models.CharField(max_length=80)
    activity_type = models.CharField(max_length=40)
    transaction_date = models.DateTimeField(null=True, blank=True)
    effective_date = models.DateTimeField(null=True, blank=True)
    thru_date = models.DateTimeField(null=True, blank=True)
    product_code = models.CharField(max_length=80, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    units = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    description = models.CharField(max_length=500, blank=True)
    source_code = models.CharField(max_length=80, blank=True)
    member_type = models.CharField(max_length=20, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-transaction_date"]
        verbose_name = "iMIS activity"
        verbose_name_plural = "iMIS activities"
        indexes = [
            models.Index(fields=["party_id", "transaction_date"], name="activity_party_date"),
            models.Index(fields=["activity_type", "transaction_date"], name="activity_type_date"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.party_id}"


class ImisGroupMember(MirrorModel):
    """Membership of a committee or chapter group (``GroupMemberData``)."""

    group_id = models.CharField(max_length=120, db_index=True)
    group_name = models.CharField(max_length=300, blank=True)
    group_class = models.CharField(max_length=60, blank=True)
    party_id = models.CharField(max_length=80, db_index=True)
    join_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(null=True)
    role = models.CharField(max_length=120, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["group_id", "party_id"]
        verbose_name = "iMIS group member"

    def __str__(self) -> str:
        return f"{self.party_id} in {self.group_id}"


class ImisCommunication(MirrorModel):
    """A message sent to a member, from iMIS's communication log ([U] fields)."""

    party_id = models.CharField(max_length=80, db_index=True)
    sent_on = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=30, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    template = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=30, blank=True)
    sent_by = models.CharField(max_length=120, blank=True)
    invoice_id = models.CharField(max_length=80, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["-sent_on"]
        verbose_name = "iMIS communication"

    def __str__(self) -> str:
        return f"{self.channel} to {self.party_id}"


class ImisRelationshipOwner(MirrorModel):
    """The staff member who owns the relationship with a member (a user-defined table)."""

    party_id = models.CharField(max_length=80, db_index=True)
    staff_user_id = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=120, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["party_id"]
        verbose_name = "iMIS relationship owner"

    def __str__(self) -> str:
        return f"{self.staff_user_id} for {self.party_id}"
