"""Output serializers of the iMIS connection's API."""

from rest_framework import serializers

from imis_client import models as m


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ImisParty
        fields = [
            "imis_id",
            "name",
            "is_organization",
            "first_name",
            "last_name",
            "email",
            "phone",
            "status",
            "customer_type",
            "customer_type_name",
            "is_member",
            "join_date",
            "paid_thru",
            "renewed_thru",
            "chapter",
            "primary_org_id",
            "primary_org_name",
            "city",
            "region",
            "postal_code",
            "country",
            "imis_updated_on",
            "synced_at",
        ]
        read_only_fields = fields


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ImisSubscription
        fields = [
            "imis_id",
            "item_code",
            "item_name",
            "status",
            "bill_begin",
            "bill_through",
            "paid_thru",
            "billed_amount",
            "payment_amount",
            "balance",
            "payment_date",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ImisInvoice
        fields = [
            "imis_id",
            "number",
            "invoice_date",
            "due_date",
            "purpose",
            "bill_to_id",
            "sold_to_id",
            "amount",
            "payment_amount",
            "balance",
            "is_open",
            "description",
        ]
        read_only_fields = fields


class MemberDetailSerializer(MemberSerializer):
    subscriptions = serializers.SerializerMethodField()
    invoices = serializers.SerializerMethodField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "subscriptions", "invoices"]
        read_only_fields = fields

    def get_subscriptions(self, party) -> list:
        rows = m.ImisSubscription.objects.filter(party_id=party.imis_id, deleted_at__isnull=True)
        return list(SubscriptionSerializer(rows, many=True).data)

    def get_invoices(self, party) -> list:
        rows = m.ImisInvoice.objects.filter(sold_to_id=party.imis_id, deleted_at__isnull=True)
        return list(InvoiceSerializer(rows.order_by("-invoice_date")[:100], many=True).data)


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.SyncRun
        fields = [
            "id",
            "full",
            "entities",
            "status",
            "results",
            "seconds",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields
