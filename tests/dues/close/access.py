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
]


def objects() -> dict:
    return {"CLOSE_MONTH": "2026-10"}
