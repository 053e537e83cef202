"""Access-matrix rows for the close's URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
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
