"""Access-matrix rows for the inquiry URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
STAFF = {M, F, MG}

MATRIX: list = [
    ("dues:inquiries:list", {}, "get", STAFF),
    ("dues:inquiries:new", {}, "get", STAFF),
    ("dues:inquiries:detail", {"pk": "INQUIRY"}, "get", STAFF),
    ("dues:inquiries:match", {"pk": "INQUIRY"}, "post", STAFF),
    ("dues:inquiries:close", {"pk": "INQUIRY"}, "post", STAFF),
    ("dues:inquiries:reopen", {"pk": "INQUIRY"}, "post", STAFF),
    ("dues:inquiries:policies", {}, "get", STAFF),
    # Answered with the page again (400) for the empty upload the matrix posts.
    ("dues:inquiries:policy_upload", {}, "post", set(), (400, 403)),
    ("dues:inquiries:policy_delete", {"pk": "POLICY_DOCUMENT"}, "post", {MG}),
    ("api:dues:inquiry-list", {}, "get", STAFF),
    ("api:dues:inquiry-detail", {"pk": "INQUIRY"}, "get", STAFF),
    # Answered 400 (no member id given) for the empty post the matrix sends.
    ("api:dues:inquiry-match", {"pk": "INQUIRY"}, "post", STAFF),
    ("api:dues:inquiry-policy-document-list", {}, "get", STAFF),
    ("api:dues:inquiry-policy-document-upload", {}, "post", {MG}),
]


def objects() -> dict:
    from django.utils import timezone

    from dues.models import Inquiry, PolicyDocument

    now = timezone.now()
    inquiry = Inquiry.objects.create(
        channel="phone", subject="Matrix", thread_key="matrix", received_at=now
    )
    document = PolicyDocument.objects.create(
        title="Dues policy", filename="dues.md", kind="md", size=10, uploaded_at=now
    )
    return {"INQUIRY": inquiry.pk, "POLICY_DOCUMENT": document.pk}
