"""The inquiries API under /api/v1/: inquiries (list, one with its thread, a new one, staff's
pick of the member) and the policy documents answers cite (list; managers upload), through the
services the pages use and with the pages' permissions."""

from django.db.models import Count
from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from common.errors import DomainError
from dues.inquiries import permissions, policy_docs, services
from dues.models import Inquiry, InquiryMessage, PolicyDocument


class InquiryMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InquiryMessage
        # The text as received (JSON carries it as data); the HTML is never given out.
        fields = ["id", "direction", "text", "attachments", "created_at"]


class InquirySerializer(serializers.ModelSerializer):
    review_item = serializers.IntegerField(source="review_item_id", allow_null=True)

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "status",
            "channel",
            "sender_email",
            "sender_name",
            "subject",
            "member_id",
            "member_name",
            "matched_by",
            "invoice_id",
            "category",
            "categories",
            "confidence",
            "classified_by",
            "escalation",
            "summary",
            "review_item",
            "received_at",
            "answered_at",
        ]


class InquiryDetailSerializer(InquirySerializer):
    thread = InquiryMessageSerializer(source="messages", many=True, read_only=True)

    class Meta(InquirySerializer.Meta):
        fields = [*InquirySerializer.Meta.fields, "thread"]


# The ways staff enter an inquiry by hand (the member page files its own).
ENTRY_CHANNELS = [
    (Inquiry.Channel.PHONE.value, "Phone call"),
    (Inquiry.Channel.LETTER.value, "Letter"),
    (Inquiry.Channel.EMAIL.value, "Email (forwarded by hand)"),
]


class InquiryCreateSerializer(serializers.Serializer):
    """The "New inquiry" form: a phone call, letter or email entered by hand."""

    channel = serializers.ChoiceField(choices=ENTRY_CHANNELS)
    member_id = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    sender_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    sender_email = serializers.EmailField(required=False, allow_blank=True, default="")
    subject = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    text = serializers.CharField()


class InquiryMatchSerializer(serializers.Serializer):
    member_id = serializers.CharField(max_length=80)


class PolicyDocumentSerializer(serializers.ModelSerializer):
    passages = serializers.SerializerMethodField(help_text="Searchable passages.")

    class Meta:
        model = PolicyDocument
        fields = ["id", "title", "filename", "kind", "size", "uploaded_at", "passages"]

    def get_passages(self, document) -> int:
        counted = getattr(document, "passages", None)
        return document.chunks.count() if counted is None else counted


class PolicyUploadSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    document = serializers.FileField(help_text="A .md, .txt or .pdf file.")


def _refused(exc: DomainError, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": exc.message, "code": exc.code}, status=code)


INQUIRY_FILTERS = ("status", "category", "member_id")


class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_permission = {
        "GET": permissions.VIEW_INQUIRIES,
        "POST": permissions.HANDLE_INQUIRIES,
    }

    def get_serializer_class(self):
        return InquiryDetailSerializer if self.action == "retrieve" else InquirySerializer

    def get_queryset(self):
        # Every inquiry, as the list page shows to whoever may see inquiries.
        params = self.request.query_params
        queryset = Inquiry.objects.order_by("-id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("messages")
        state = params.get("status", "")
        if state == "unmatched":
            queryset = queryset.filter(member_id="").exclude(status=Inquiry.Status.CLOSED)
        elif state == "open":
            queryset = queryset.filter(status__in=Inquiry.OPEN)
        elif state:
            queryset = queryset.filter(status=state)
        if params.get("category"):
            queryset = queryset.filter(category=params["category"])
        if params.get("member_id"):
            queryset = queryset.filter(member_id=params["member_id"])
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                required=False,
                description="a status, or open / unmatched (no member picked yet)",
            ),
            OpenApiParameter("category", str, required=False, enum=Inquiry.Category.values),
            OpenApiParameter("member_id", str, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InquiryCreateSerializer, responses={201: InquiryDetailSerializer})
    def create(self, request):
        """Enter a phone call, letter or email by hand; its reply is drafted in the background."""
        given = InquiryCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            inquiry = services.inquiry_create(user=request.user, **given.validated_data)
        except DomainError as exc:
            return _refused(exc)
        return Response(InquiryDetailSerializer(inquiry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InquiryMatchSerializer, responses=InquiryDetailSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        """Staff's pick of the member the inquiry is from; its reply is drafted again."""
        inquiry = self.get_object()
        given = InquiryMatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            inquiry = services.inquiry_match(
                inquiry_id=inquiry.pk,
                member_id=given.validated_data["member_id"],
                user=request.user,
            )
        except DomainError as exc:
            return _refused(exc)
        return Response(InquiryDetailSerializer(inquiry).data)


class PolicyDocumentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    required_permission = {
        "GET": permissions.VIEW_INQUIRIES,
        "POST": permissions.MANAGE_POLICY_DOCS,
    }
    serializer_class = PolicyDocumentSerializer

    def get_queryset(self):
        return PolicyDocument.objects.annotate(passages=Count("chunks")).order_by("-id")

    @extend_schema(
        request={"multipart/form-data": PolicyUploadSerializer},
        responses={201: PolicyDocumentSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        """Upload a policy document (managers); refused above the same size limit as the page."""
        given = PolicyUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            document = policy_docs.policy_document_upload_file(
                title=given.validated_data["title"],
                upload=given.validated_data["document"],
                user=request.user,
            )
        except DomainError as exc:
            return _refused(exc)
        return Response(PolicyDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register(
    "inquiry-policy-documents", PolicyDocumentViewSet, basename="inquiry-policy-document"
)

urlpatterns = [path("", include(router.urls))]
