"""Access-matrix rows for the close's URLs (reconciliation, periods, mapping, exports, deferred
revenue, new-member billing and the board pack); tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
    ("dues:revenue:rollforward", {}, "get", FINANCE),
    # The empty month the matrix posts is refused with a message, after the access check.
    ("dues:revenue:draft", {}, "post", FINANCE),
    ("dues:revenue:refresh", {}, "post", FINANCE),
    ("dues:revenue:newmembers", {}, "get", FINANCE),
    ("dues:revenue:newmembers_scan", {}, "post", FINANCE),
    ("dues:revenue:boardpack", {}, "get", FINANCE),
    ("dues:revenue:boardpack_pdf", {"month": "2026-11"}, "get", FINANCE),
    ("dues:revenue:boardpack_csv", {"month": "2026-11"}, "get", FINANCE),
    ("dues:close:periods", {}, "get", FINANCE),
    ("dues:close:mapping", {}, "get", FINANCE),
    ("dues:close:mapping_set", {}, "post", {MG}),
    ("dues:close:month", {"month": "CLOSE_MONTH"}, "get", FINANCE),
    ("dues:close:reconcile", {"month": "CLOSE_MONTH"}, "post", FINANCE),
    ("dues:close:close", {"month": "CLOSE_MONTH"}, "post", FINANCE),
    ("dues:close:reopen", {"month": "CLOSE_MONTH"}, "post", {MG}),
    ("dues:close:export", {"month": "CLOSE_MONTH", "fmt": "generic"}, "get", FINANCE),
    # The close API: the pages' permissions (reopening a manager's).
    ("api:dues:close-period-list", {}, "get", FINANCE),
    ("api:dues:close-period-detail", {"month": "CLOSE_MONTH"}, "get", FINANCE),
    ("api:dues:close-period-reconcile", {"month": "CLOSE_MONTH"}, "post", FINANCE),
    # October is not reconciled: closing it is refused (409) after the access check.
    ("api:dues:close-period-close", {"month": "CLOSE_MONTH"}, "post", FINANCE),
    # Posted without a reason: 400 after the access check.
    ("api:dues:close-period-reopen", {"month": "CLOSE_MONTH"}, "post", {MG}),
    ("api:dues:close-reconciliation-list", {}, "get", FINANCE),
    ("api:dues:close-reconciliation-detail", {}, "get", FINANCE),
    ("api:dues:close-reconciliation-differences", {}, "get", FINANCE),
    ("api:dues:close-deposit-list", {}, "get", FINANCE),
    ("api:dues:close-rollforward", {"month": "CLOSE_MONTH"}, "get", FINANCE),
    ("api:dues:close-boardpack", {"month": "CLOSE_MONTH"}, "get", FINANCE),
]


def objects() -> dict:
    return {"CLOSE_MONTH": "2026-10"}
