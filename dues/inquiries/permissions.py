"""Permission codenames of member inquiries and policy documents, and which role holds each."""

from common import roles

VIEW_INQUIRIES = "dues.view_inquiries"
HANDLE_INQUIRIES = "dues.handle_inquiries"
MANAGE_POLICY_DOCS = "dues.manage_policy_documents"

DECLARED = (
    ("view_inquiries", "Can see member inquiries and the policy documents"),
    ("handle_inquiries", "Can enter inquiries, match them to members and have answers drafted"),
    ("manage_policy_documents", "Can upload and remove policy documents"),
)

GRANTS = {
    roles.MEMBERSHIP: ["view_inquiries", "handle_inquiries"],
    roles.FINANCE: ["view_inquiries", "handle_inquiries"],
    roles.MANAGER: ["view_inquiries", "handle_inquiries", "manage_policy_documents"],
    roles.ADMINISTRATOR: [],
}
