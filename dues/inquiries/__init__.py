"""Member inquiries (issue #19): intake by email and by hand, classification, grounded answers
from the member's own account and the policy documents, and the member's self-service page."""
