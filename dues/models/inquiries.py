"""Models of member inquiries: the inquiry and its messages, policy documents and their
searchable passages."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from dues.inquiries import permissions


class Inquiry(models.Model):
    """A member's question (one thread: the same subject, Re:/Fwd: stripped, from one sender),
    matched to a member, classified, and answered through a review item. Only
    ``dues.inquiries.services`` changes its status (TRANSITIONS)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        DRAFTED = "drafted", "Drafted"
        WAITING = "waiting", "Waiting for staff"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    TRANSITIONS = {
        # A question on the member page answered at once from the records: new -> answered.
        Status.NEW: {Status.DRAFTED, Status.WAITING, Status.ANSWERED, Status.CLOSED},
        Status.DRAFTED: {Status.ANSWERED, Status.WAITING, Status.NEW, Status.CLOSED},
        Status.WAITING: {Status.DRAFTED, Status.ANSWERED, Status.CLOSED},
        Status.ANSWERED: {Status.NEW, Status.CLOSED},
        Status.CLOSED: {Status.NEW},
    }
    OPEN = (Status.NEW, Status.DRAFTED, Status.WAITING)

    class Category(models.TextChoices):
        CHARGE = "charge_explanation", "Charge explanation"
        PAYMENT_STATUS = "payment_status", "Payment status"
        DISPUTE = "dispute", "Duplicate charge or dispute"
        PLAN = "plan_request", "Payment plan request"
        CONTACT = "contact_update", "Contact or address update"
        CANCELLATION = "cancellation", "Cancellation or refund request"
        OTHER = "other", "Other"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"
        LETTER = "letter", "Letter"
        PORTAL = "portal", "Member page"

    class Match(models.TextChoices):
        NONE = "", "Not matched"
        EMAIL = "email", "Sender's email"
        MEMBER_NUMBER = "member_number", "Member number in the text"
        INVOICE_NUMBER = "invoice_number", "Invoice number in the text"
        STAFF = "staff", "Staff's pick"
        LINK = "link", "The member's own link"

    class Escalation(models.TextChoices):
        NONE = "", "None"
        ERROR = "billing_error", "A billing error (finance)"
        LOW_CONFIDENCE = "low_confidence", "Low confidence (staff)"
        UNGROUNDED = "ungrounded", "Could not be answered from the records"
        ACTION = "action", "A request that needs action"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sender_email = models.CharField(max_length=254, blank=True, db_index=True)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    thread_key = models.CharField(
        max_length=64, db_index=True, help_text="Subject without Re:/Fwd:, with the sender."
    )
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    member_name = models.CharField(max_length=300, blank=True)
    matched_by = models.CharField(max_length=20, choices=Match.choices, blank=True)
    invoice_id = models.CharField(max_length=80, blank=True)
    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.OTHER, db_index=True
    )
    categories = models.JSONField(default=list, blank=True, help_text="Every class found.")
    confidence = models.DecimalField(max_digits=4, decimal_places=3, default=0)
    classified_by = models.CharField(max_length=80, blank=True, help_text="rules or the model.")
    escalation = models.CharField(
        max_length=20, choices=Escalation.choices, blank=True, db_index=True
    )
    summary = models.TextField(blank=True)
    review_item = models.ForeignKey(
        "reviews.ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_without_edit = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        default_permissions = ()
        permissions = permissions.DECLARED
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return f"Inquiry #{self.pk}: {self.subject[:60]}"


class InquiryMessage(models.Model):
    """One message of an inquiry: what the member wrote (untrusted, kept as received) or what
    was answered."""

    class Direction(models.TextChoices):
        IN = "in", "From the member"
        OUT = "out", "To the member"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="As received; never rendered.")
    attachments = models.JSONField(default=list, blank=True, help_text="File names only.")
    source_id = models.CharField(
        max_length=200, blank=True, help_text="The inbound service's message id (once per id)."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_id"],
                condition=~models.Q(source_id=""),
                name="inquiry_message_source_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on inquiry {self.inquiry_id}"


class PolicyDocument(models.Model):
    """A policy document a manager uploaded (Markdown, text or PDF), cut into passages."""

    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # md | txt | pdf
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class PolicyChunk(models.Model):
    """One passage of a policy document, searched with PostgreSQL full-text search."""

    document = models.ForeignKey(PolicyDocument, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    search = SearchVectorField(null=True)

    class Meta:
        ordering = ["document_id", "position"]
        indexes = [GinIndex(fields=["search"], name="policy_chunk_search")]

    def __str__(self) -> str:
        return f"{self.document.title} §{self.position}"
