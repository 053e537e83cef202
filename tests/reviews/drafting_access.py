"""Access-matrix rows for the drafting URLs; tests/common/test_access.py collects them.

MATRIX rows are (url name, kwargs, method, roles intended[, deny code or codes]); kwargs values
that name a placeholder are resolved by objects(), which creates one of each object needed.
"""

from common import roles

M, F, MG = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER
QUEUE_ROLES = {M, F, MG}

MATRIX: list = [
    ("reviews:template_list", {}, "get", QUEUE_ROLES),
    ("reviews:template_detail", {"pk": "TEMPLATE"}, "get", QUEUE_ROLES),
    ("reviews:template_preview", {"pk": "TEMPLATE"}, "post", QUEUE_ROLES),
    ("reviews:template_save", {"pk": "TEMPLATE"}, "post", {MG}),
    ("reviews:guardrails", {}, "get", {MG}),
    ("reviews:guardrail_add", {}, "post", {MG}),
    ("reviews:guardrail_update", {"pk": "RULE"}, "post", {MG}),
    ("reviews:draft_log", {}, "get", {MG}),
    # Like the item page: outside one's queues the item is not found; with no queue, forbidden.
    ("reviews:draft_check", {"pk": "ITEM"}, "post", {F, MG}, (403, 404)),
]


def objects() -> dict:
    from reviews.models import GuardrailRule, MessageTemplate

    template, _ = MessageTemplate.objects.get_or_create(purpose="dunning_1", channel="email")
    rule, _ = GuardrailRule.objects.get_or_create(kind="prohibited", phrase="lawsuit")
    return {"TEMPLATE": template.pk, "RULE": rule.pk}
